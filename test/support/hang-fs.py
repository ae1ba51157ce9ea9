# A FUSE file system that answers INIT and GETATTR of its root, and never answers a LOOKUP: what a hung network mount looks like.
import ctypes, os, struct, sys
mnt = sys.argv[1]
fd = os.open('/dev/fuse', os.O_RDWR)
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(b'hang', mnt.encode(), b'fuse', 0, f'fd={fd},rootmode=40000,user_id=0,group_id=0,allow_other'.encode()) != 0:
    print('mount failed', os.strerror(ctypes.get_errno()), flush=True); sys.exit(1)
print('mounted', flush=True)
def attr():
    # fuse_attr: ino, size, blocks, atime, mtime, ctime (u64) ; atimensec.. (u32 x3), mode, nlink, uid, gid, rdev, blksize, flags
    return struct.pack('<QQQQQQIIIIIIIIII', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0o40755, 2, 0, 0, 0, 4096, 0)
while True:
    req = os.read(fd, 1 << 21)
    ln, op, unique, nodeid = struct.unpack_from('<IIQQ', req)
    if op == 26:  # INIT
        body = struct.pack('<IIIIHHIIHHI7I', 7, 31, 0, 0, 16, 12, 4096, 1, 0, 0, 0, *([0] * 7))
    elif op == 3:  # GETATTR
        body = struct.pack('<QII', 1, 0, 0) + attr()
    elif op == 1:  # LOOKUP: never answered
        print('lookup', req[40:].split(b'\0')[0], flush=True); continue
    else:
        os.write(fd, struct.pack('<IiQ', 16, -38, unique)); continue
    os.write(fd, struct.pack('<IiQ', 16 + len(body), 0, unique) + body)
