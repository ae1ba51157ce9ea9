import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);

// src/fetch/hash-worker.ts
import { parentPort, workerData } from "node:worker_threads";

// src/util/trace.ts
import { writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
var TRACE_ENV = "GO_MOD_DOWNLOAD_TRACE";
var file = isMainThread ? process.env[TRACE_ENV] || void 0 : void 0;
if (file) delete process.env[TRACE_ENV];
var spans = [];
var threads = /* @__PURE__ */ new Map();
function threadCpu() {
  return process.threadCpuUsage?.() ?? process.cpuUsage();
}
if (file) {
  process.once("exit", () => {
    const { nodeStart, v8Start, environment, bootstrapComplete } = performance.nodeTiming;
    const trace = {
      timeOrigin: performance.timeOrigin,
      node: { nodeStart, v8Start, environment, bootstrapComplete },
      spans,
      threads: [{ thread: "main", ...threadCpu() }, ...threads.values(), { thread: "process", ...process.cpuUsage() }],
      exitAt: performance.now()
    };
    try {
      writeFileSync(file, JSON.stringify(trace), { flag: "wx" });
    } catch (e) {
      process.stderr.write(`trace not written: ${e.message}
`);
    }
  });
}

// src/fetch/inflater.ts
import { randomBytes } from "node:crypto";
import { constants, createInflateRaw, deflateRawSync, inflateRawSync } from "node:zlib";

// src/engine/port.ts
var silent = {
  info: () => void 0,
  echo: () => void 0,
  warning: () => void 0,
  group: (_name, work) => work(),
  secret: () => void 0,
  progress: () => void 0
};
var current = silent;
var port = {
  info: (line) => current.info(line),
  echo: (text) => current.echo(text),
  warning: (line) => current.warning(line),
  group: (name, work) => current.group(name, work),
  secret: (value) => current.secret(value),
  progress: (progress) => current.progress(progress)
};

// src/fetch/read-at.ts
import { readSync } from "node:fs";
function readAt(fd, offset, length, upTo = false, scratch) {
  const buffer = scratch && scratch.length >= length ? scratch : Buffer.allocUnsafe(length);
  let bytesRead = 0;
  while (bytesRead < length) {
    const n = readSync(fd, buffer, bytesRead, length - bytesRead, offset + bytesRead);
    if (n === 0) break;
    bytesRead += n;
  }
  if (bytesRead !== length && !upTo) throw new Error("zip is cut short");
  return buffer.subarray(0, bytesRead);
}

// src/fetch/inflater.ts
var PIECE = 256 << 10;
var BROKEN_ENGINE_ENV = "GO_MOD_DOWNLOAD_TEST_BROKEN_INFLATER";
function engine() {
  const stream = createInflateRaw();
  const { _handle: handle, _writeState: state } = stream;
  if (typeof handle?.writeSync !== "function" || typeof handle.reset !== "function" || !(state instanceof Uint32Array) || state.length !== 2) {
    stream.destroy();
    return void 0;
  }
  stream.on("error", () => {
  });
  return { stream, handle: broken(handle), state };
}
function broken(handle) {
  const how = process.env[BROKEN_ENGINE_ENV];
  if (how !== "corrupt" && how !== "throw") return handle;
  return {
    reset: () => handle.reset(),
    writeSync: (flush, input, inOffset, inLength, output, outOffset, outLength) => {
      if (how === "throw") throw new Error("the handle refused the write");
      handle.writeSync(flush, input, inOffset, inLength, output, outOffset, outLength);
      output[outOffset] = output[outOffset] ^ 1;
    }
  };
}
function samples() {
  const noise = randomBytes(PIECE + 4096);
  const text = Buffer.from("func f(x int) int { return x * 2 } // a line of source\n".repeat(Math.ceil(PIECE / 100)));
  return [deflateRawSync(noise, { level: 0 }), deflateRawSync(Buffer.concat([text, noise.subarray(0, 8192), text, text]), { level: 1 })];
}
var trusted;
var tell = warnFallback;
function tellFallbackTo(listener) {
  tell = listener;
}
var warned = false;
function warnFallback(why) {
  if (warned) return;
  warned = true;
  port.warning(`Zips are inflated by zlib.inflateRawSync from now on (slower, the same bytes): node's zlib handle failed the self-check (${why}). No proxy and no cache is at fault.`);
}
var Inflater = class {
  current;
  usable;
  input = Buffer.allocUnsafe(PIECE);
  output = Buffer.allocUnsafe(PIECE);
  /** `nodeHandle` false: always inflateRawSync, as on a node whose zlib handle this does not know. */
  constructor(nodeHandle = true) {
    this.usable = nodeHandle;
  }
  /** Whether entries are inflated a piece at a time through node's zlib handle. */
  get piecewise() {
    return this.engine() !== void 0;
  }
  /**
   * Inflates one entry's deflate data, `raw`, handing `take` the output a piece at a time (each
   * a view of a buffer the next piece reuses). Stops once more than `limit` bytes came out, so
   * a caller that expects `limit` bytes sees the entry is larger. Throws on data zlib refuses.
   */
  inflate(raw, limit, take) {
    const engine2 = this.engine();
    if (!engine2) {
      take(inflateRawSync(raw, { chunkSize: Math.max(64, limit + 1), maxOutputLength: limit + 1 }));
      return;
    }
    engine2.handle.reset();
    this.feed(engine2, raw, raw.length, true, { produced: 0, limit }, take);
  }
  /** As inflate(), the deflate data read from the file `fd`, `length` bytes at `start`, a piece at a time. */
  inflateFile(fd, start, length, limit, take) {
    const engine2 = this.engine();
    if (!engine2) {
      this.inflate(readAt(fd, start, length), limit, take);
      return;
    }
    engine2.handle.reset();
    const output = { produced: 0, limit };
    for (let done = 0; done < length && output.produced <= limit; ) {
      const piece = readAt(fd, start + done, Math.min(PIECE, length - done), false, this.input);
      done += piece.length;
      this.feed(engine2, piece, piece.length, done === length, output, take);
    }
  }
  /** Inflates `input`'s first `length` bytes until they are used up (or the output passes its limit). */
  feed(engine2, input, length, last, output, take) {
    const flush = last ? constants.Z_FINISH : constants.Z_NO_FLUSH;
    for (let at = 0; output.produced <= output.limit; ) {
      engine2.handle.writeSync(flush, input, at, length - at, this.output, 0, PIECE);
      if (engine2.stream.destroyed) {
        this.current = void 0;
        throw new Error("invalid deflate data");
      }
      const outputLeft = engine2.state[0];
      if (outputLeft < PIECE) {
        output.produced += PIECE - outputLeft;
        take(this.output.subarray(0, PIECE - outputLeft));
      }
      if (outputLeft !== 0) return;
      at = length - engine2.state[1];
    }
  }
  engine() {
    if (!this.current && this.usable) {
      trusted ??= this.selfCheck();
      this.current = trusted ? engine() : void 0;
      this.usable = this.current !== void 0;
    }
    return this.current;
  }
  /** Whether an engine inflates the sample exactly as inflateRawSync does; if not, says why, once. */
  selfCheck() {
    const checked = engine();
    let why;
    try {
      why = checked ? this.unlikeZlib(checked) : "the handle is not what this expects";
    } catch (e) {
      why = `it threw on a sample: ${e.message}`;
    } finally {
      checked?.stream.destroy();
      this.current = void 0;
    }
    if (why) tell(why);
    return why === void 0;
  }
  /** Why `engine` inflates the sample otherwise than inflateRawSync, whole (as inflate()) or a piece at a time (as inflateFile()); undefined if it does not. */
  unlikeZlib(engine2) {
    for (const raw of samples()) {
      const expected = inflateRawSync(raw);
      for (const pieceSize of [raw.length, PIECE]) {
        const out = [];
        const output = { produced: 0, limit: expected.length };
        engine2.handle.reset();
        for (let done = 0; done < raw.length; ) {
          const piece = raw.subarray(done, done + pieceSize);
          done += piece.length;
          this.feed(engine2, piece, piece.length, done === raw.length, output, (got) => out.push(Buffer.from(got)));
        }
        if (!Buffer.concat(out).equals(expected)) return "it inflated a sample unlike inflateRawSync";
      }
    }
    return void 0;
  }
};

// src/fetch/tree-hash.ts
import { createHash as createHash2 } from "node:crypto";
import { closeSync as closeSync2, readSync as readSync3, readdirSync } from "node:fs";

// src/util/confined.ts
import { chmodSync, closeSync, constants as constants2, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync as readSync2, renameSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { isMainThread as isMainThread2 } from "node:worker_threads";
var O_NOFOLLOW = constants2.O_NOFOLLOW ?? 0;
var O_DIRECTORY = constants2.O_DIRECTORY ?? 0;
var O_NONBLOCK = constants2.O_NONBLOCK ?? 0;
var DIRECTORY = constants2.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;
var READ_NO_FOLLOW = constants2.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
var CREATE_NEW = constants2.O_WRONLY | constants2.O_CREAT | constants2.O_EXCL | O_NOFOLLOW;
var WINDOWS = process.platform === "win32";
var procPid = process.platform === "linux" ? procSelf() : void 0;
var byDescriptor = procPid !== void 0 && isDirectory(`/proc/${procPid}/fd`);
function procSelf() {
  try {
    return readlinkSync("/proc/self");
  } catch {
    return void 0;
  }
}
function isDirectory(dir) {
  return lstatOf(dir)?.isDirectory() ?? false;
}
var Dir = class {
  fd;
  /** What names the directory for any call, in this process, its threads or a child: its descriptor on Linux, the checked path elsewhere. */
  path;
  /** Its path as a person reads it (for messages). */
  shown;
  constructor(fd, shown) {
    this.fd = fd;
    this.shown = shown;
    this.path = byDescriptor && fd !== void 0 ? `/proc/${procPid}/fd/${fd}` : shown;
    if (byDescriptor && fd !== void 0) shownByFd.set(fd, shown);
  }
  /**
   * How a child process names the directory: through its descriptor, which the child inherits as
   * `childFd` and names by its own /proc/self/fd (a process may always read its own; another's
   * /proc/<pid>/fd it may not, where the step's process is not dumpable); by the checked path
   * where there is no descriptor to name it by, and nothing to inherit.
   */
  inChild(childFd) {
    return byDescriptor && this.fd !== void 0 ? { inherit: this.fd, path: `/proc/self/fd/${childFd}` } : { path: this.shown };
  }
  /** The path of an entry of this directory (a name, or a relative path under it). */
  entry(name) {
    return `${this.path}/${name}`;
  }
  /** Its own stat, from its descriptor (an lstat of `path` on Linux would be of /proc's link). */
  stat() {
    return this.fd === void 0 ? lstatSync(this.path) : fstatSync(this.fd);
  }
  /** Its mode bits, from its descriptor. */
  mode() {
    return this.stat().mode;
  }
  /** Changes its mode through its descriptor: never what a link put in its place points to. */
  chmod(mode) {
    if (this.fd === void 0) chmodSync(this.path, mode);
    else fchmodSync(this.fd, mode);
  }
  close() {
    if (this.fd === void 0) return;
    shownByFd.delete(this.fd);
    closeSync(this.fd);
  }
};
var shownByFd = /* @__PURE__ */ new Map();
var NotADirectory = class extends Error {
  /** Relative to the root, with `/`. */
  rel;
  kind;
  constructor(rel, kind) {
    super(`${rel} is ${kind}, not a directory`);
    this.name = "NotADirectory";
    this.rel = rel;
    this.kind = kind;
  }
};
function lstatOf(file2) {
  try {
    return lstatSync(file2);
  } catch {
    return void 0;
  }
}
function kindOf(file2) {
  const stats = lstatOf(file2);
  return stats && describe(stats);
}
function describe(stats) {
  if (stats.isFile()) return "a file";
  if (stats.isDirectory()) return "a directory";
  if (stats.isSymbolicLink()) return "a symlink";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  return "a device";
}
function openDir(root, rel, create = false, device) {
  const names = rel.split("/").filter((n) => n !== "");
  if (byDescriptor && isMainThread2 && names.length > 0 && device === void 0) return openFromKept(root, names, create);
  return walk(new Dir(WINDOWS ? void 0 : openSync(root, constants2.O_RDONLY | O_DIRECTORY), root), true, names, 0, create, void 0, device);
}
function walk(dir, owned, names, from, create, keep2, device) {
  try {
    for (let i = from; i < names.length; i++) {
      const next = openChild(dir, names[i], create, () => names.slice(0, i + 1).join("/"), device);
      if (owned) dir.close();
      dir = next;
      owned = i === names.length - 1 || !keep2?.(i + 1, next);
    }
    return dir;
  } catch (e) {
    if (owned) dir.close();
    throw e;
  }
}
var KEEP_AT_MOST = 64;
var kept = /* @__PURE__ */ new Map();
function release(entry) {
  let now;
  try {
    now = fstatSync(entry.fd);
  } catch {
  }
  if (now?.dev === entry.dev && now.ino === entry.ino) closeSync(entry.fd);
}
var keyOf = (root, names, depth) => `${root}\0${names.slice(0, depth).join("/")}`;
function openFromKept(root, names, create) {
  let from = names.length - 1;
  let fd;
  for (; from > 0 && fd === void 0; from--) fd = takeKept(keyOf(root, names, from));
  if (fd !== void 0) from++;
  const rootKey = keyOf(root, names, 0);
  if (fd === void 0) {
    fd = takeKept(rootKey);
    if (fd === void 0) {
      const opened = openSync(root, constants2.O_RDONLY | O_DIRECTORY);
      const name = kernelName(opened);
      if (!name || !keep(rootKey, opened, name)) return walk(new Dir(opened, root), true, names, 0, create);
      fd = opened;
    }
  }
  const rootName = kept.get(rootKey)?.name;
  const expected = (depth) => rootName && Buffer.concat([rootName, Buffer.from(`${rootName.at(-1) === 47 ? "" : "/"}${names.slice(0, depth).join("/")}`)]);
  return walk(new Dir(fd, path.join(root, ...names.slice(0, from))), false, names, from, create, (depth, dir) => {
    const name = expected(depth);
    return name !== void 0 && keep(keyOf(root, names, depth), dir.fd, name);
  });
}
function kernelName(fd) {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`, { encoding: "buffer" });
  } catch {
    return void 0;
  }
}
function takeKept(key) {
  const entry = kept.get(key);
  if (!entry) return void 0;
  kept.delete(key);
  if (!kernelName(entry.fd)?.equals(entry.name)) {
    release(entry);
    return void 0;
  }
  kept.set(key, entry);
  return entry.fd;
}
function keep(key, fd, name) {
  if (!kernelName(fd)?.equals(name)) return false;
  const before = kept.get(key);
  if (before) release(before);
  kept.delete(key);
  const { dev, ino } = fstatSync(fd);
  kept.set(key, { fd, name, dev, ino });
  if (kept.size > KEEP_AT_MOST) {
    const [oldest, entry] = kept.entries().next().value;
    kept.delete(oldest);
    release(entry);
  }
  return true;
}
function openChild(dir, name, create, rel, device) {
  const shown = path.join(dir.shown, name);
  for (let tries = 0; ; tries++) {
    try {
      if (device === void 0) return openDirectory(dir.entry(name), shown);
      const seen = lstatOf(dir.entry(name));
      if (seen?.isDirectory() && seen.dev !== device) throw new OnAnotherFileSystem(rel());
      const opened = openDirectory(dir.entry(name), shown);
      if (opened.stat().dev === device) return opened;
      opened.close();
      throw new OnAnotherFileSystem(rel());
    } catch (e) {
      const code = e.code;
      if (code === "ENOENT" && create && tries === 0) {
        try {
          mkdirSync(dir.entry(name), 511);
        } catch (made) {
          if (made.code !== "EEXIST") throw made;
        }
        continue;
      }
      if (code === "ENOTDIR" || code === "ELOOP") throw new NotADirectory(rel(), kindOf(dir.entry(name)) ?? "gone");
      throw e;
    }
  }
}
var OnAnotherFileSystem = class extends Error {
  /** Relative to the root, with `/`. */
  rel;
  constructor(rel) {
    super(`${rel} is on another file system`);
    this.name = "OnAnotherFileSystem";
    this.rel = rel;
  }
};
function openRegular(file2) {
  let fd;
  try {
    fd = openSync(file2, READ_NO_FOLLOW);
  } catch (e) {
    if (e.code === "ELOOP") throw new Error("a symlink, not a regular file", { cause: e });
    throw e;
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    closeSync(fd);
    throw new Error(`${describe(stats)}, not a regular file`);
  }
  return fd;
}
function openDirAt(file2, shown = file2) {
  try {
    return openDirectory(file2, shown);
  } catch {
    return void 0;
  }
}
function openDirectory(file2, shown) {
  if (!WINDOWS) return new Dir(openSync(file2, DIRECTORY), shown);
  const stats = lstatSync(file2);
  if (!stats.isDirectory()) throw Object.assign(new Error(`${file2} is not a directory`), { code: stats.isSymbolicLink() ? "ELOOP" : "ENOTDIR" });
  return new Dir(void 0, shown);
}

// src/module/gosum.ts
import { createHash } from "node:crypto";

// src/module/elements.ts
var WINDOWS_RESERVED = /* @__PURE__ */ new Set(["CON", "PRN", "AUX", "NUL", ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])]);
var MODULE_CHAR = /^[A-Za-z0-9\-._~]$/;
var FILE_CHAR = /^[A-Za-z0-9!#$%&()+,\-.=@[\]^_{}~ ]$/;
function elementProblem(elem, kind) {
  if (elem === "") return "empty path element";
  if (kind === "module" && elem.startsWith(".")) return "leading dot in path element";
  if (elem.endsWith(".")) return "trailing dot in path element";
  for (const c of elem) {
    if (!(kind === "module" ? MODULE_CHAR : FILE_CHAR).test(c)) return `invalid char ${JSON.stringify(c)}`;
  }
  const short = elem.split(".")[0];
  if (WINDOWS_RESERVED.has(short.toUpperCase())) return `"${short}" disallowed as path element component on Windows`;
  if (kind === "module" && /~\d+$/.test(short)) return "trailing tilde and digits in path element";
  return void 0;
}

// src/module/version.ts
var NUMBER = "(?:0|[1-9][0-9]*)";
var IDENTIFIER = `(?:${NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
var CANONICAL = new RegExp(`^v${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-${IDENTIFIER}(?:\\.${IDENTIFIER})*)?(?:\\+incompatible)?$`);

// src/module/gosum.ts
function hash1(files) {
  const at = (i) => files[i];
  return hash1Of({ count: files.length, name: (i) => at(i).name, compare: (a, b) => Buffer.compare(at(a).name, at(b).name), sha256Hex: (i) => at(i).sha256Hex });
}
function hash1Of(files) {
  const summary = createHash("sha256");
  const order = Array.from({ length: files.count }, (_, i) => i).sort((a, b) => files.compare(a, b));
  for (const [k, i] of order.entries()) {
    const name = files.name(i);
    if (name.includes(10)) throw new Error(`file name with a newline: ${JSON.stringify(name.toString())}`);
    if (k > 0 && files.compare(order[k - 1], i) === 0) throw new Error(`${name.toString()} is in the zip twice`);
    summary.update(`${files.sha256Hex(i)}  `).update(name).update("\n");
  }
  return `h1:${summary.digest("base64")}`;
}

// src/fetch/tree-hash.ts
var CHUNK = 1 << 20;
function fileSha256(fd, buffer) {
  const hash = createHash2("sha256");
  try {
    for (let n; (n = readSync3(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync2(fd);
  }
  return hash.digest("hex");
}
function treeHash(dir, prefix) {
  const buffer = Buffer.allocUnsafe(CHUNK);
  const files = [];
  const walk2 = (at, sub) => {
    for (const entry of readdirSync(at.path, { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      const inner = entry.isDirectory() ? openDirAt(at.entry(entry.name)) : void 0;
      if (inner) {
        try {
          walk2(inner, rel);
        } finally {
          inner.close();
        }
        continue;
      }
      let fd;
      try {
        fd = openRegular(at.entry(entry.name));
      } catch (e) {
        throw new Error(`${prefix}/${rel} is ${e.message}`, { cause: e });
      }
      files.push({ name: Buffer.from(`${prefix}/${rel}`), sha256Hex: fileSha256(fd, buffer) });
    }
  };
  const root = openDirAt(dir);
  if (!root) throw new Error(`${prefix} is ${kindOf(dir) ?? "missing"}, not a directory`);
  try {
    walk2(root, "");
  } finally {
    root.close();
  }
  return hash1(files);
}

// src/fetch/zip-hash.ts
import { createHash as createHash3 } from "node:crypto";
import { closeSync as closeSync4, fstatSync as fstatSync2 } from "node:fs";
import * as zlib from "node:zlib";

// src/fetch/zip-extract.ts
import { closeSync as closeSync3, mkdirSync as mkdirSync2, openSync as openSync2, writeSync as writeSync2 } from "node:fs";
import path2 from "node:path";

// src/module/limits.ts
var MiB = 1 << 20;
var MAX_BYTES = {
  /** codehost.MaxZipFile: go refuses a larger module zip. */
  zip: 500 * MiB,
  /** codehost.MaxGoMod: go refuses a larger go.mod. */
  mod: 16 * MiB,
  /**
   * An .info or @latest is a version, a time and an origin of a few short fields, under a KiB
   * in practice: 1 MiB is a thousand times that, and a candidate cannot make it cost more.
   */
  info: 1 * MiB,
  latest: 1 * MiB,
  /**
   * One version a line, about 40 bytes: 4 MiB holds 100,000 versions, several times the longest
   * list known (golang.org/toolchain's, every Go release for every platform).
   */
  list: 4 * MiB,
  /**
   * A lookup or a signed tree head is under a KiB; go's client asks tiles of height 8, 8 KiB of
   * hashes or 256 records: 1 MiB is far above both.
   */
  sumdb: 1 * MiB
};

// src/fetch/zip-extract.ts
function extractable(entries, prefix) {
  const files = /* @__PURE__ */ new Set();
  const dirs = /* @__PURE__ */ new Map();
  for (const { name, size } of entries) {
    if (!name.startsWith(prefix)) return false;
    const rel = name.slice(prefix.length);
    if (rel === "") continue;
    const isDir = rel.endsWith("/");
    const clean = isDir ? rel.slice(0, -1) : rel;
    if (!isFilePath(clean)) return false;
    const folded = clean.toLowerCase();
    if (isDir) {
      if (files.has(folded)) return false;
    } else {
      if (files.has(folded) || dirs.has(folded)) return false;
      if (clean.split("/").some((s, i) => s.toLowerCase() === "go.mod" && (i > 0 || s !== "go.mod"))) return false;
      if ((clean === "go.mod" || clean === "LICENSE") && size > MAX_BYTES.mod) return false;
      files.add(folded);
    }
    for (let end = isDir ? folded.length : folded.lastIndexOf("/"); end > 0; end = folded.lastIndexOf("/", end - 1)) {
      const parent = folded.slice(0, end);
      if (files.has(parent)) return false;
      const spelled = dirs.get(parent);
      if (spelled !== void 0) {
        if (spelled !== clean.slice(0, end)) return false;
        break;
      }
      dirs.set(parent, clean.slice(0, end));
    }
  }
  return true;
}
function extractionPath(name, prefix) {
  const rel = name.slice(prefix.length);
  return rel === "" || rel.endsWith("/") ? void 0 : rel;
}
function isFilePath(rel) {
  return rel.split("/").every((elem) => elementProblem(elem, "file") === void 0);
}
var TreeWriter = class {
  root;
  made = /* @__PURE__ */ new Set();
  fd;
  /** Why writing stopped, once it did. */
  failed;
  constructor(target) {
    this.attempt(() => {
      const parent = openDir(target.root, target.parent, true);
      try {
        mkdirSync2(parent.entry(target.name), 511);
        this.root = openDirAt(parent.entry(target.name), path2.join(parent.shown, target.name));
      } finally {
        parent.close();
      }
      if (!this.root) throw new Error(`${target.name} was replaced as it was made`);
      this.made.add("");
    });
  }
  /** Starts the file at `rel`; it must not exist. */
  open(rel) {
    this.attempt(() => {
      const parent = path2.posix.dirname(rel);
      const root = this.root;
      if (parent !== "." && !this.made.has(parent)) {
        mkdirSync2(root.entry(parent), { recursive: true, mode: 511 });
        for (let p = parent; p !== "." && !this.made.has(p); p = path2.posix.dirname(p)) this.made.add(p);
      }
      this.fd = openSync2(root.entry(rel), CREATE_NEW, 292);
    });
  }
  write(chunk) {
    if (this.fd === void 0) return;
    const fd = this.fd;
    this.attempt(() => {
      for (let at = 0; at < chunk.length; ) at += writeSync2(fd, chunk, at);
    });
  }
  close() {
    const fd = this.fd;
    this.fd = void 0;
    if (fd !== void 0) this.attempt(() => closeSync3(fd));
  }
  /** Done writing: lets go of the directory. */
  end() {
    this.close();
    this.root?.close();
    this.root = void 0;
  }
  /** The directories made, relative to the root ('' for the root), deepest first: the order to make them read-only in. */
  dirs() {
    const depth = (p) => p === "" ? 0 : p.split("/").length;
    return [...this.made].sort((a, b) => depth(b) - depth(a));
  }
  attempt(work) {
    if (this.failed !== void 0) return;
    try {
      work();
    } catch (e) {
      this.failed = e.message;
      if (this.fd !== void 0) {
        const fd = this.fd;
        this.fd = void 0;
        try {
          closeSync3(fd);
        } catch {
        }
      }
    }
  }
};

// src/fetch/zip-hash.ts
var crc322 = typeof zlib.crc32 === "function" ? zlib.crc32 : void 0;
var EOCD = 101010256;
var CENTRAL = 33639248;
var LOCAL = 67324752;
var ZIP64_LOCATOR = 117853008;
var DATA_DESCRIPTOR = 134695760;
var MAX_UNZIPPED = 500 << 20;
var MAX_ZIP_FILE = 500 << 20;
function directoryOf(fd) {
  const { size } = fstatSync2(fd);
  if (size > MAX_ZIP_FILE) throw new Error("zip larger than 500 MiB");
  const tailLength = Math.min(size, 22 + 65535);
  const tail = readAt(fd, size - tailLength, tailLength);
  let end = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("not a zip: no end of central directory");
  if (end + 22 + tail.readUInt16LE(end + 20) > tail.length) throw new Error("corrupt end of central directory: its comment runs past the zip's end");
  const count = tail.readUInt16LE(end + 10);
  const directorySize = tail.readUInt32LE(end + 12);
  const directoryOffset = tail.readUInt32LE(end + 16);
  if (count === 65535 || directoryOffset === 4294967295) throw new Error("zip64 archives are left to go");
  if (directoryOffset + directorySize > size) throw new Error("corrupt central directory: it runs past the end of the zip");
  if (directorySize < count * 46) throw new Error(`corrupt central directory: ${directorySize} bytes cannot hold ${count} entries`);
  const endAt = size - tailLength + end;
  if (directoryOffset + directorySize !== endAt) throw new Error("central directory does not end where its end record starts");
  if (directorySize === 65535 && endAt >= 20 && readAt(fd, endAt - 20, 4).readUInt32LE(0) === ZIP64_LOCATOR) throw new Error("zip64 archives are left to go");
  const bytes = readAt(fd, directoryOffset, directorySize);
  const dir = {
    bytes,
    count,
    method: new Uint16Array(count),
    flags: new Uint16Array(count),
    crc: new Uint32Array(count),
    compressedSize: new Uint32Array(count),
    size: new Uint32Array(count),
    localOffset: new Uint32Array(count),
    nameStart: new Uint32Array(count),
    nameLength: new Uint16Array(count)
  };
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL) throw new Error(`corrupt central directory: no entry ${i + 1} where the one before ends`);
    const nameLength = bytes.readUInt16LE(at + 28);
    const skip = nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    if (at + 46 + skip > bytes.length) throw new Error(`corrupt central directory: entry ${i + 1} runs past its end`);
    dir.flags[i] = bytes.readUInt16LE(at + 8);
    dir.method[i] = bytes.readUInt16LE(at + 10);
    dir.crc[i] = bytes.readUInt32LE(at + 16);
    dir.compressedSize[i] = bytes.readUInt32LE(at + 20);
    dir.size[i] = bytes.readUInt32LE(at + 24);
    dir.localOffset[i] = bytes.readUInt32LE(at + 42);
    dir.nameStart[i] = at + 46;
    dir.nameLength[i] = nameLength;
    at += 46 + skip;
  }
  const next = readAt(fd, directoryOffset + at, 4, true);
  if (next.length === 4 && next.readUInt32LE(0) === CENTRAL) throw new Error("central directory holds more entries than its end record counts");
  return dir;
}
function nameOf(dir, i) {
  return dir.bytes.subarray(dir.nameStart[i], nameEnd(dir, i));
}
function nameEnd(dir, i) {
  return dir.nameStart[i] + dir.nameLength[i];
}
function compareNames(dir, a, b) {
  return dir.bytes.compare(dir.bytes, dir.nameStart[b], nameEnd(dir, b), dir.nameStart[a], nameEnd(dir, a));
}
var SMALL_ENTRY = 256 << 10;
var HEADER_SLACK = 64;
var tools;
var toolsOfThread = () => tools ??= { inflater: new Inflater(), scratch: Buffer.allocUnsafe(SMALL_ENTRY + 30 + 65535 + HEADER_SLACK) };
function contentHash(fd, dir, i, digests, out) {
  const { inflater, scratch } = toolsOfThread();
  const method = dir.method[i];
  const compressedSize = dir.compressedSize[i];
  const expected = dir.size[i];
  const localOffset = dir.localOffset[i];
  const hash = createHash3("sha256");
  let size = 0;
  let crc = 0;
  const take = (chunk) => {
    size += chunk.length;
    if (size > expected) throw new Error(`${nameOf(dir, i).toString()} is larger than the zip says`);
    hash.update(chunk);
    if (crc322) crc = crc322(chunk, crc);
    out?.write(chunk);
  };
  if (method !== 8 && method !== 0) throw new Error(`compression method ${method} is left to go`);
  const isDirectory2 = dir.bytes[nameEnd(dir, i) - 1] === 47;
  if (expected !== 0 && isDirectory2) throw new Error(`${nameOf(dir, i).toString()} is a directory with content`);
  if (method === 8 && compressedSize === 0) throw new Error(`${nameOf(dir, i).toString()} has no deflate stream`);
  const small = compressedSize <= SMALL_ENTRY;
  const guess = 30 + dir.nameLength[i] + HEADER_SLACK;
  const head = readAt(fd, localOffset, small ? guess + compressedSize : 30, true, scratch);
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) throw new Error("corrupt local header");
  const dataAt = 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  const start = localOffset + dataAt;
  if (compressedSize > 0) {
    if (small) {
      const raw = dataAt + compressedSize <= head.length ? head.subarray(dataAt, dataAt + compressedSize) : readAt(fd, start, compressedSize);
      if (method === 8) inflater.inflate(raw, expected, take);
      else take(raw);
    } else if (method === 8) {
      inflater.inflateFile(fd, start, compressedSize, expected, take);
    } else {
      for (let done = 0; done < compressedSize; ) {
        const piece = readAt(fd, start + done, Math.min(SMALL_ENTRY, compressedSize - done), false, scratch);
        take(piece);
        done += piece.length;
      }
    }
  }
  if (size !== expected) throw new Error(`${nameOf(dir, i).toString()} is shorter than the zip says`);
  if (!isDirectory2 && crc322) {
    const want = dir.crc[i];
    if ((dir.flags[i] & 8) !== 0) {
      const descriptorAt = dataAt + compressedSize;
      const descriptor = small && descriptorAt + 16 <= head.length ? head.subarray(descriptorAt, descriptorAt + 16) : readAt(fd, start + compressedSize, 16, true);
      const signed = descriptor.length >= 4 && descriptor.readUInt32LE(0) === DATA_DESCRIPTOR;
      if (descriptor.length < (signed ? 16 : 12) || descriptor.readUInt32LE(signed ? 4 : 0) !== want) throw new Error(`${nameOf(dir, i).toString()} has no data descriptor that agrees with the zip's directory`);
      if (crc !== want) throw new Error(`${nameOf(dir, i).toString()} fails its CRC-32 check`);
    } else if (want !== 0 && crc !== want) throw new Error(`${nameOf(dir, i).toString()} fails its CRC-32 check`);
  }
  hash.digest().copy(digests, i * 32);
}
function hashZip(file2, into) {
  const fd = openRegular(file2);
  let out;
  try {
    const dir = directoryOf(fd);
    if (dir.size.reduce((n, size) => n + size, 0) > MAX_UNZIPPED) throw new Error("unzipped size over 500 MiB");
    const entries = function* () {
      for (let i = 0; i < dir.count; i++) yield { name: nameOf(dir, i).toString(), size: dir.size[i] };
    };
    const prefix = into && extractable(entries(), into.prefix) ? into.prefix : void 0;
    out = prefix === void 0 ? void 0 : new TreeWriter(into);
    const digests = Buffer.allocUnsafe(dir.count * 32);
    for (let i = 0; i < dir.count; i++) {
      const rel = prefix === void 0 ? void 0 : extractionPath(nameOf(dir, i).toString(), prefix);
      if (rel !== void 0) out?.open(rel);
      try {
        contentHash(fd, dir, i, digests, rel === void 0 ? void 0 : out);
      } finally {
        out?.close();
      }
    }
    const hash = hash1Of({
      count: dir.count,
      name: (i) => nameOf(dir, i),
      compare: (a, b) => compareNames(dir, a, b),
      sha256Hex: (i) => digests.toString("hex", i * 32, i * 32 + 32)
    });
    return { hash, ...out && out.failed === void 0 ? { dirs: out.dirs() } : {} };
  } finally {
    closeSync4(fd);
    out?.end();
  }
}

// src/fetch/hash-worker.ts
async function hashOf(task) {
  return "zip" in task ? hashZip(task.zip, task.into) : { hash: treeHash(task.tree, task.prefix) };
}
var fallback;
var reportCpu = workerData?.reportCpu === true;
var previous = Promise.resolve();
if (parentPort) tellFallbackTo((why) => fallback = why);
parentPort?.on("message", (task) => {
  previous = previous.then(async () => {
    let answer;
    try {
      answer = await hashOf(task);
    } catch (e) {
      answer = { error: e.message };
    }
    if (fallback) answer.fallback = fallback;
    fallback = void 0;
    if (reportCpu) answer.cpu = threadCpu();
    parentPort?.postMessage(answer);
  });
});
export {
  hashOf
};
