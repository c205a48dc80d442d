#ifndef SWIFTLET_CZLIB_SHIM_H
#define SWIFTLET_CZLIB_SHIM_H
#include <errno.h>
#include <unistd.h>
#include <zlib.h>

/// inflateInit2 is a macro in zlib.h; Swift cannot call macros, so wrap it.
static inline int swiftlet_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
/// deflateInit2 likewise (used by tests to build gzip fixtures).
static inline int swiftlet_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

/// Compresses everything `input` holds, as one gzip member at zlib's default level, onto `output`. Returns Z_OK,
/// zlib's error, or Z_ERRNO with errno set when reading or writing failed. (In C: the z_stream's fields are not
/// reachable from Swift targets that also see another module's copy of zlib.h.)
static inline int swiftlet_gzip_copy(int input, int output) {
    z_stream stream = {0};
    int result = deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (result != Z_OK) return result;
    unsigned char in[16384], out[16384];
    int flush = Z_NO_FLUSH;
    do {
        ssize_t count = read(input, in, sizeof in);
        if (count < 0) {
            if (errno == EINTR) continue;
            deflateEnd(&stream);
            return Z_ERRNO;
        }
        flush = count == 0 ? Z_FINISH : Z_NO_FLUSH;
        stream.next_in = in;
        stream.avail_in = (uInt)count;
        do {
            stream.next_out = out;
            stream.avail_out = sizeof out;
            if (deflate(&stream, flush) == Z_STREAM_ERROR) {
                deflateEnd(&stream);
                return Z_STREAM_ERROR;
            }
            size_t produced = sizeof out - stream.avail_out;
            for (size_t done = 0; done < produced;) {
                ssize_t written = write(output, out + done, produced - done);
                if (written < 0) {
                    if (errno == EINTR) continue;
                    deflateEnd(&stream);
                    return Z_ERRNO;
                }
                done += (size_t)written;
            }
        } while (stream.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&stream);
    return Z_OK;
}
#endif
