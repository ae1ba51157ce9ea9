import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);

// src/fetch/hash-worker.ts
import { parentPort } from "node:worker_threads";

// src/fetch/tree-hash.ts
import { createHash as createHash2 } from "node:crypto";
import { closeSync, lstatSync, openSync, readSync, readdirSync } from "node:fs";
import path from "node:path";

// src/module/gosum.ts
import { createHash } from "node:crypto";

// src/module/elements.ts
var WINDOWS_RESERVED = /* @__PURE__ */ new Set(["CON", "PRN", "AUX", "NUL", ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])]);

// src/module/version.ts
var NUMBER = "(?:0|[1-9][0-9]*)";
var IDENTIFIER = `(?:${NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
var CANONICAL = new RegExp(`^v${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-${IDENTIFIER}(?:\\.${IDENTIFIER})*)?(?:\\+incompatible)?$`);

// src/module/gosum.ts
function hash1(files) {
  const summary = createHash("sha256");
  for (const { name, sha256Hex } of [...files].sort((a, b) => Buffer.compare(a.name, b.name))) {
    if (name.includes(10)) throw new Error(`file name with a newline: ${JSON.stringify(name.toString())}`);
    summary.update(`${sha256Hex}  `).update(name).update("\n");
  }
  return `h1:${summary.digest("base64")}`;
}

// src/fetch/tree-hash.ts
var CHUNK = 1 << 20;
function fileSha256(file, buffer) {
  const hash = createHash2("sha256");
  const fd = openSync(file, "r");
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}
function treeHash(dir, prefix) {
  const buffer = Buffer.allocUnsafe(CHUNK);
  const files = [];
  const walk = (sub) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      const full = path.join(dir, rel);
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && lstatSync(full).isFile()) files.push({ name: Buffer.from(`${prefix}/${rel}`), sha256Hex: fileSha256(full, buffer) });
      else throw new Error(`${prefix}/${rel} is not a regular file`);
    }
  };
  walk("");
  return hash1(files);
}

// src/fetch/zip-hash.ts
import { createHash as createHash3 } from "node:crypto";
import { closeSync as closeSync3, fstatSync, openSync as openSync3 } from "node:fs";

// src/fetch/inflater.ts
import { constants, createInflateRaw, inflateRawSync } from "node:zlib";

// src/fetch/read-at.ts
import { readSync as readSync2 } from "node:fs";
function readAt(fd, offset, length, upTo = false, scratch) {
  const buffer = scratch && scratch.length >= length ? scratch : Buffer.allocUnsafe(length);
  let bytesRead = 0;
  while (bytesRead < length) {
    const n = readSync2(fd, buffer, bytesRead, length - bytesRead, offset + bytesRead);
    if (n === 0) break;
    bytesRead += n;
  }
  if (bytesRead !== length && !upTo) throw new Error("zip is cut short");
  return buffer.subarray(0, bytesRead);
}

// src/fetch/inflater.ts
var PIECE = 256 << 10;
function engine() {
  const stream = createInflateRaw();
  const { _handle: handle, _writeState: state } = stream;
  if (typeof handle?.writeSync !== "function" || typeof handle.reset !== "function" || !(state instanceof Uint32Array) || state.length !== 2) {
    stream.destroy();
    return void 0;
  }
  stream.on("error", () => {
  });
  return { stream, handle, state };
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
      this.current = engine();
      this.usable = this.current !== void 0;
    }
    return this.current;
  }
};

// src/fetch/zip-extract.ts
import { closeSync as closeSync2, mkdirSync, openSync as openSync2, writeSync } from "node:fs";
import path2 from "node:path";
function extractionPaths(names, prefix) {
  const files = /* @__PURE__ */ new Set();
  const dirs = /* @__PURE__ */ new Set();
  const paths = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) return void 0;
    const rel = name.slice(prefix.length);
    const isDir = rel === "" || rel.endsWith("/");
    const clean = isDir ? rel.slice(0, -1) : rel;
    if (clean !== "" && !isCleanPath(clean)) return void 0;
    const segments = clean === "" ? [] : clean.split("/");
    const folded = clean.toLowerCase();
    if (isDir) {
      if (files.has(folded)) return void 0;
      paths.push(void 0);
    } else {
      if (files.has(folded) || dirs.has(folded)) return void 0;
      if (segments.some((s, i) => s.toLowerCase() === "go.mod" && (i > 0 || s !== "go.mod"))) return void 0;
      files.add(folded);
      paths.push(clean);
    }
    for (let i = 1; i < segments.length + (isDir ? 1 : 0); i++) {
      const parent = segments.slice(0, i).join("/").toLowerCase();
      if (files.has(parent)) return void 0;
      dirs.add(parent);
    }
  }
  return paths;
}
function isCleanPath(rel) {
  if (rel.startsWith("/") || rel.includes("\\") || rel.includes("\0")) return false;
  return rel.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}
var TreeWriter = class {
  root;
  made = /* @__PURE__ */ new Set();
  fd;
  /** Why writing stopped, once it did. */
  failed;
  constructor(root) {
    this.root = root;
    this.attempt(() => {
      mkdirSync(path2.dirname(root), { recursive: true, mode: 511 });
      mkdirSync(root, { mode: 511 });
      this.made.add("");
    });
  }
  /** Starts the file at `rel`; it must not exist. */
  open(rel) {
    this.attempt(() => {
      const parent = path2.posix.dirname(rel);
      if (parent !== "." && !this.made.has(parent)) {
        mkdirSync(path2.join(this.root, parent), { recursive: true, mode: 511 });
        for (let p = parent; p !== "." && !this.made.has(p); p = path2.posix.dirname(p)) this.made.add(p);
      }
      this.fd = openSync2(path2.join(this.root, rel), "wx", 292);
    });
  }
  write(chunk) {
    if (this.fd === void 0) return;
    const fd = this.fd;
    this.attempt(() => {
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at);
    });
  }
  close() {
    const fd = this.fd;
    this.fd = void 0;
    if (fd !== void 0) this.attempt(() => closeSync2(fd));
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
          closeSync2(fd);
        } catch {
        }
      }
    }
  }
};

// src/fetch/zip-hash.ts
var EOCD = 101010256;
var CENTRAL = 33639248;
var LOCAL = 67324752;
var MAX_UNZIPPED = 500 << 20;
function entries(fd) {
  const { size } = fstatSync(fd);
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
  const count = tail.readUInt16LE(end + 10);
  const directorySize = tail.readUInt32LE(end + 12);
  const directoryOffset = tail.readUInt32LE(end + 16);
  if (count === 65535 || directoryOffset === 4294967295) throw new Error("zip64 archives are left to go");
  const directory = readAt(fd, directoryOffset, directorySize);
  const list = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (directory.readUInt32LE(at) !== CENTRAL) throw new Error("corrupt central directory");
    const nameLength = directory.readUInt16LE(at + 28);
    const skip = nameLength + directory.readUInt16LE(at + 30) + directory.readUInt16LE(at + 32);
    const entry = {
      method: directory.readUInt16LE(at + 10),
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      localOffset: directory.readUInt32LE(at + 42),
      name: Buffer.from(directory.subarray(at + 46, at + 46 + nameLength))
    };
    list.push(entry);
    at += 46 + skip;
  }
  return list;
}
var SMALL_ENTRY = 256 << 10;
var HEADER_SLACK = 64;
var tools;
var toolsOfThread = () => tools ??= { inflater: new Inflater(), scratch: Buffer.allocUnsafe(SMALL_ENTRY + 30 + 65535 + HEADER_SLACK) };
function contentHash(fd, entry, out) {
  const { inflater, scratch } = toolsOfThread();
  const hash = createHash3("sha256");
  if (entry.compressedSize === 0) {
    if (entry.size !== 0) throw new Error(`${entry.name.toString()} is shorter than the zip says`);
    return hash.digest("hex");
  }
  let size = 0;
  const take = (chunk) => {
    size += chunk.length;
    if (size > entry.size) throw new Error(`${entry.name.toString()} is larger than the zip says`);
    hash.update(chunk);
    out?.write(chunk);
  };
  if (entry.method !== 8 && entry.method !== 0) throw new Error(`compression method ${entry.method} is left to go`);
  const small = entry.compressedSize <= SMALL_ENTRY;
  const guess = 30 + entry.name.length + HEADER_SLACK;
  const head = readAt(fd, entry.localOffset, small ? guess + entry.compressedSize : 30, true, scratch);
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) throw new Error("corrupt local header");
  const dataAt = 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  const start = entry.localOffset + dataAt;
  if (small) {
    const raw = dataAt + entry.compressedSize <= head.length ? head.subarray(dataAt, dataAt + entry.compressedSize) : readAt(fd, start, entry.compressedSize);
    if (entry.method === 8) inflater.inflate(raw, entry.size, take);
    else take(raw);
  } else if (entry.method === 8) {
    inflater.inflateFile(fd, start, entry.compressedSize, entry.size, take);
  } else {
    for (let done = 0; done < entry.compressedSize; ) {
      const piece = readAt(fd, start + done, Math.min(SMALL_ENTRY, entry.compressedSize - done), false, scratch);
      take(piece);
      done += piece.length;
    }
  }
  if (size !== entry.size) throw new Error(`${entry.name.toString()} is shorter than the zip says`);
  return hash.digest("hex");
}
function hashZip(file, into) {
  const fd = openSync3(file, "r");
  try {
    const list = entries(fd);
    if (list.reduce((n, e) => n + e.size, 0) > MAX_UNZIPPED) throw new Error("unzipped size over 500 MiB");
    const paths = into && extractionPaths(list.map((e) => e.name.toString()), into.prefix);
    const out = paths && new TreeWriter(into.dir);
    const hashed = [];
    for (const [i, entry] of list.entries()) {
      const rel = paths?.[i];
      if (rel !== void 0) out?.open(rel);
      try {
        hashed.push({ name: entry.name, sha256Hex: contentHash(fd, entry, rel === void 0 ? void 0 : out) });
      } finally {
        out?.close();
      }
    }
    return { hash: hash1(hashed), ...out && out.failed === void 0 ? { dirs: out.dirs() } : {} };
  } finally {
    closeSync3(fd);
  }
}

// src/fetch/hash-worker.ts
async function hashOf(task) {
  return "zip" in task ? hashZip(task.zip, task.into) : { hash: treeHash(task.tree, task.prefix) };
}
var previous = Promise.resolve();
parentPort?.on("message", (task) => {
  previous = previous.then(async () => {
    let answer;
    try {
      answer = await hashOf(task);
    } catch (e) {
      answer = { error: e.message };
    }
    parentPort?.postMessage(answer);
  });
});
export {
  hashOf
};
