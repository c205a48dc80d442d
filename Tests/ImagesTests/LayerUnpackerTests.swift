import Foundation
import Testing
@testable import Images
#if canImport(Glibc)
import Glibc
#endif

/// The tar reader and layer unpacker against archives built by GNU tar and Python's tarfile.
@Suite struct LayerUnpackerTests {
    @Test func unpacksWhatGNUTarWrites() async throws {
        let dir = try TemporaryDirectory("tar")
        defer { dir.remove() }
        let src = dir.path + "/src"
        try await shell("""
            set -e; mkdir -p \(src)/bin \(src)/etc/deep \(src)/dev \(src)/sticky
            printf 'hello\\n' > \(src)/etc/hello; chmod 0640 \(src)/etc/hello; chown 1234:5678 \(src)/etc/hello
            head -c 300000 /dev/urandom > \(src)/bin/big; chmod 4755 \(src)/bin/big
            ln -s ../etc/hello \(src)/bin/link; ln \(src)/etc/hello \(src)/etc/deep/hard
            mkfifo \(src)/dev/fifo; mknod \(src)/dev/null c 1 3; chmod 1777 \(src)/sticky
            setfattr -n user.swiftlet -v yes \(src)/etc/hello 2>/dev/null || true
            touch -h -d '2020-02-02T02:02:02Z' \(src)/etc/hello \(src)/bin/link \(src)/etc
            tar --xattrs --numeric-owner -C \(src) -cf \(dir.path)/layer.tar .
            gzip -k \(dir.path)/layer.tar
            """)
        for archive in ["layer.tar", "layer.tar.gz"] {
            let out = dir.path + "/out-" + archive
            let diffID = Digest(of: Array(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/layer.tar"))))
            _ = try ImageStore.unpackLayer(blob: dir.path + "/" + archive, into: out, diffID: diffID, name: archive)
            #expect(fileText(out + "/etc/hello") == "hello\n")
            let hello = try #require(lstatOf(out + "/etc/hello"))
            #expect(hello.st_mode & 0o7777 == 0o640)
            #expect(hello.st_uid == 1234 && hello.st_gid == 5678)
            #expect(hello.st_mtim.tv_sec == 1_580_608_922)
            #expect(hello.st_nlink == 2)
            #expect(lstatOf(out + "/etc/deep/hard")?.st_ino == hello.st_ino)
            #expect(lstatOf(out + "/etc")?.st_mtim.tv_sec == 1_580_608_922)
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/bin/big")) == Data(contentsOf: URL(fileURLWithPath: src + "/bin/big")))
            #expect(lstatOf(out + "/bin/big").map { $0.st_mode & 0o7777 } == 0o4755)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/bin/link") == "../etc/hello")
            #expect(lstatOf(out + "/dev/fifo").map { $0.st_mode & S_IFMT } == S_IFIFO)
            let null = try #require(lstatOf(out + "/dev/null"))
            #expect(null.st_mode & S_IFMT == S_IFCHR && null.st_rdev == LayerUnpacker.makeDevice(1, 3))
            #expect(lstatOf(out + "/sticky").map { $0.st_mode & 0o7777 } == 0o1777)
            if xattr(src + "/etc/hello", "user.swiftlet") != nil {
                #expect(xattr(out + "/etc/hello", "user.swiftlet") == "yes")
            }
        }
    }

    @Test func whiteoutsBecomeOverlayForm() async throws {
        let dir = try TemporaryDirectory("tar")
        defer { dir.remove() }
        try await python("""
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
                for name in ["etc/", "var/", "var/lib/"]:
                    i = tarfile.TarInfo(name.rstrip("/")); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
                for name in ["etc/.wh.passwd", "var/lib/.wh..wh..opq", "gone/.wh.sub"]:
                    t.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
                i = tarfile.TarInfo("var/lib/kept"); data = b"kept"; i.size = len(data); t.addfile(i, io.BytesIO(data))
            """, [dir.path + "/layer.tar"])
        let out = dir.path + "/out"
        try FileManager.default.createDirectory(atPath: out + "/etc/passwd", withIntermediateDirectories: true)
        _ = try ImageStore.unpackLayer(blob: dir.path + "/layer.tar", into: out, diffID: nil, name: "whiteouts")
        for path in ["/etc/passwd", "/gone/sub"] {
            let info = try #require(lstatOf(out + path))
            #expect(info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0, "\(path) should be a 0/0 whiteout")
        }
        #expect(xattr(out + "/var/lib", "trusted.overlay.opaque") == "y")
        #expect(xattr(out + "/var", "trusted.overlay.opaque") == nil)
        #expect(fileText(out + "/var/lib/kept") == "kept")
        #expect(!FileManager.default.fileExists(atPath: out + "/etc/.wh.passwd"))
        #expect(!FileManager.default.fileExists(atPath: out + "/var/lib/.wh..wh..opq"))
    }

    @Test func longNamesAndPAXRecords() async throws {
        let dir = try TemporaryDirectory("tar")
        defer { dir.remove() }
        let long = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 130)
        try await python("""
            import io, sys, tarfile
            long = sys.argv[2]
            for fmt, path in ((tarfile.GNU_FORMAT, sys.argv[1] + "/gnu.tar"), (tarfile.PAX_FORMAT, sys.argv[1] + "/pax.tar")):
                with tarfile.open(path, "w", format=fmt) as t:
                    i = tarfile.TarInfo(long); data = b"long"; i.size = len(data); i.uid = 3000000; i.mtime = 1700000000
                    if fmt == tarfile.PAX_FORMAT:
                        i.pax_headers = {"SCHILY.xattr.user.swiftlet": "pax-value", "SCHILY.xattr.trusted.overlay.opaque": "y"}
                    t.addfile(i, io.BytesIO(data))
                    l = tarfile.TarInfo("link-" + "l" * 120); l.type = tarfile.SYMTYPE; l.linkname = "/" + long; t.addfile(l)
                    h = tarfile.TarInfo("hard"); h.type = tarfile.LNKTYPE; h.linkname = long; t.addfile(h)
            """, [dir.path, long])
        for name in ["gnu.tar", "pax.tar"] {
            let out = dir.path + "/out-" + name
            _ = try ImageStore.unpackLayer(blob: dir.path + "/" + name, into: out, diffID: nil, name: name)
            #expect(fileText(out + "/" + long) == "long", "\(name)")
            #expect(lstatOf(out + "/" + long)?.st_uid == 3_000_000)
            #expect(lstatOf(out + "/" + long)?.st_mtim.tv_sec == 1_700_000_000)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/link-" + String(repeating: "l", count: 120)) == "/" + long)
            #expect(lstatOf(out + "/hard")?.st_ino == lstatOf(out + "/" + long)?.st_ino)
            if name == "pax.tar" {
                #expect(xattr(out + "/" + long, "user.swiftlet") == "pax-value")
                #expect(xattr(out + "/" + long, "trusted.overlay.opaque") == "y")
            }
        }
    }

    @Test func pathsThatEscapeAreRefusedOrContained() async throws {
        let dir = try TemporaryDirectory("tar")
        defer { dir.remove() }
        let outside = dir.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try await python("""
            import io, sys, tarfile
            d, outside = sys.argv[1], sys.argv[2]
            def add(t, name, data=b"x"):
                i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
            def link(t, name, target, kind=tarfile.SYMTYPE):
                i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; t.addfile(i)
            with tarfile.open(d + "/dotdot.tar", "w") as t: add(t, "a/../../escaped")
            with tarfile.open(d + "/hardlink.tar", "w") as t: link(t, "h", "../../../etc/passwd", tarfile.LNKTYPE)
            with tarfile.open(d + "/symlinks.tar", "w") as t:
                link(t, "abs", outside)
                add(t, "abs/via-absolute", b"contained")
                link(t, "up", "../../../../..")
                add(t, "up/via-relative", b"contained")
                link(t, "loop", "loop")
            with tarfile.open(d + "/loop.tar", "w") as t:
                link(t, "loop", "loop"); add(t, "loop/x")
            """, [dir.path, outside])
        for name in ["dotdot.tar", "hardlink.tar", "loop.tar"] {
            let error = #expect(throws: ImageError.self) {
                try ImageStore.unpackLayer(blob: dir.path + "/" + name, into: dir.path + "/out-" + name, diffID: nil, name: name)
            }
            #expect(error?.code == .invalidContent, "\(name): \(String(describing: error))")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/escaped"))
        let out = dir.path + "/out"
        _ = try ImageStore.unpackLayer(blob: dir.path + "/symlinks.tar", into: out, diffID: nil, name: "symlinks")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        // The absolute symlink resolved inside the layer: <layer>/<outside path>/via-absolute.
        #expect(fileText(out + outside + "/via-absolute") == "contained")
        #expect(fileText(out + "/via-relative") == "contained")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/abs") == outside)
    }

    @Test func gzipStreamsAndDigests() async throws {
        let dir = try TemporaryDirectory("tar")
        defer { dir.remove() }
        try await shell("""
            set -e; mkdir -p \(dir.path)/a \(dir.path)/b; echo one > \(dir.path)/a/one; echo two > \(dir.path)/b/two
            tar -C \(dir.path)/a -cf \(dir.path)/a.tar one; tar -C \(dir.path)/b -cf \(dir.path)/b.tar two
            gzip -c \(dir.path)/a.tar > \(dir.path)/good.tar.gz
            head -c 40 \(dir.path)/good.tar.gz > \(dir.path)/truncated.tar.gz
            cp \(dir.path)/good.tar.gz \(dir.path)/corrupt.tar.gz
            printf '\\377\\377\\377\\377' | dd of=\(dir.path)/corrupt.tar.gz bs=1 seek=30 conv=notrunc 2>/dev/null
            """)
        let good = dir.path + "/good.tar.gz"
        let diffID = Digest(of: Array(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/a.tar"))))
        _ = try ImageStore.unpackLayer(blob: good, into: dir.path + "/ok", diffID: diffID, name: "good")
        #expect(fileText(dir.path + "/ok/one") == "one\n")

        let mismatch = #expect(throws: ImageError.self) {
            try ImageStore.unpackLayer(blob: good, into: dir.path + "/bad", diffID: Digest(of: [1, 2, 3]), name: "good")
        }
        #expect(mismatch?.code == .digestMismatch)
        for name in ["truncated.tar.gz", "corrupt.tar.gz"] {
            let error = #expect(throws: ImageError.self) {
                try ImageStore.unpackLayer(blob: dir.path + "/" + name, into: dir.path + "/out-" + name, diffID: nil, name: name)
            }
            #expect(error?.code == .invalidContent, "\(name): \(String(describing: error))")
        }
    }
}
