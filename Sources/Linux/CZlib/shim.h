#ifndef SWIFTLET_CZLIB_SHIM_H
#define SWIFTLET_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro in zlib.h; Swift cannot call macros, so wrap it.
static inline int swiftlet_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
/// deflateInit2 likewise (used by tests to build gzip fixtures).
static inline int swiftlet_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
#endif
