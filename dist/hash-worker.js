import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);

// src/fetch/hash-worker.ts
import { parentPort } from "node:worker_threads";

// src/fetch/tree-hash.ts
import { createHash as createHash2 } from "node:crypto";
import { closeSync, lstatSync, openSync, readSync, readdirSync } from "node:fs";
import path from "node:path";

// src/gosum.ts
import { createHash } from "node:crypto";
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
import { closeSync as closeSync2, createReadStream, fstatSync, openSync as openSync2, readSync as readSync2 } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createInflateRaw, inflateRawSync } from "node:zlib";
var EOCD = 101010256;
var CENTRAL = 33639248;
var LOCAL = 67324752;
var MAX_UNZIPPED = 500 << 20;
function readAt(fd, offset, length, upTo = false) {
  const buffer = Buffer.allocUnsafe(length);
  let bytesRead = 0;
  while (bytesRead < length) {
    const n = readSync2(fd, buffer, bytesRead, length - bytesRead, offset + bytesRead);
    if (n === 0) break;
    bytesRead += n;
  }
  if (bytesRead !== length && !upTo) throw new Error("zip is cut short");
  return buffer.subarray(0, bytesRead);
}
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
async function contentHash(file, fd, entry) {
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
  };
  if (entry.method !== 8 && entry.method !== 0) throw new Error(`compression method ${entry.method} is left to go`);
  const small = entry.compressedSize <= SMALL_ENTRY && entry.size <= 4 * SMALL_ENTRY;
  const guess = 30 + entry.name.length + HEADER_SLACK;
  const head = readAt(fd, entry.localOffset, small ? guess + entry.compressedSize : 30, true);
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) throw new Error("corrupt local header");
  const dataAt = 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  if (small) {
    const raw = dataAt + entry.compressedSize <= head.length ? head.subarray(dataAt, dataAt + entry.compressedSize) : readAt(fd, entry.localOffset + dataAt, entry.compressedSize);
    take(entry.method === 8 ? inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) + 1 }) : raw);
  } else {
    const start = entry.localOffset + dataAt;
    const raw = createReadStream(file, { start, end: start + entry.compressedSize - 1 });
    const sink = async (source) => {
      for await (const chunk of source) take(chunk);
    };
    if (entry.method === 8) await pipeline(raw, createInflateRaw(), sink);
    else await pipeline(raw, sink);
  }
  if (size !== entry.size) throw new Error(`${entry.name.toString()} is shorter than the zip says`);
  return hash.digest("hex");
}
async function zipFileHash(file) {
  const fd = openSync2(file, "r");
  try {
    const list = entries(fd);
    if (list.reduce((n, e) => n + e.size, 0) > MAX_UNZIPPED) throw new Error("unzipped size over 500 MiB");
    const hashed = [];
    for (const entry of list) hashed.push({ name: entry.name, sha256Hex: await contentHash(file, fd, entry) });
    return hash1(hashed);
  } finally {
    closeSync2(fd);
  }
}

// src/fetch/hash-worker.ts
async function hashOf(task) {
  return "zip" in task ? zipFileHash(task.zip) : treeHash(task.tree, task.prefix);
}
parentPort?.on("message", async (task) => {
  let answer;
  try {
    answer = { hash: await hashOf(task) };
  } catch (e) {
    answer = { error: e.message };
  }
  parentPort?.postMessage(answer);
});
export {
  hashOf
};
