import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __require = /* @__PURE__ */ ((x) => typeof require !== "undefined" ? require : typeof Proxy !== "undefined" ? new Proxy(x, {
  get: (a, b) => (typeof require !== "undefined" ? require : a)[b]
}) : x)(function(x) {
  if (typeof require !== "undefined") return require.apply(this, arguments);
  throw Error('Dynamic require of "' + x + '" is not supported');
});
var __commonJS = (cb, mod) => function __require2() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key2 of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key2) && key2 !== except)
        __defProp(to, key2, { get: () => from[key2], enumerable: !(desc = __getOwnPropDesc(from, key2)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// node_modules/ms/index.js
var require_ms = __commonJS({
  "node_modules/ms/index.js"(exports, module) {
    var s = 1e3;
    var m = s * 60;
    var h = m * 60;
    var d = h * 24;
    var w = d * 7;
    var y = d * 365.25;
    module.exports = function(val, options) {
      options = options || {};
      var type = typeof val;
      if (type === "string" && val.length > 0) {
        return parse(val);
      } else if (type === "number" && isFinite(val)) {
        return options.long ? fmtLong(val) : fmtShort(val);
      }
      throw new Error(
        "val is not a non-empty string or a valid number. val=" + JSON.stringify(val)
      );
    };
    function parse(str) {
      str = String(str);
      if (str.length > 100) {
        return;
      }
      var match = /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i.exec(
        str
      );
      if (!match) {
        return;
      }
      var n = parseFloat(match[1]);
      var type = (match[2] || "ms").toLowerCase();
      switch (type) {
        case "years":
        case "year":
        case "yrs":
        case "yr":
        case "y":
          return n * y;
        case "weeks":
        case "week":
        case "w":
          return n * w;
        case "days":
        case "day":
        case "d":
          return n * d;
        case "hours":
        case "hour":
        case "hrs":
        case "hr":
        case "h":
          return n * h;
        case "minutes":
        case "minute":
        case "mins":
        case "min":
        case "m":
          return n * m;
        case "seconds":
        case "second":
        case "secs":
        case "sec":
        case "s":
          return n * s;
        case "milliseconds":
        case "millisecond":
        case "msecs":
        case "msec":
        case "ms":
          return n;
        default:
          return void 0;
      }
    }
    function fmtShort(ms) {
      var msAbs = Math.abs(ms);
      if (msAbs >= d) {
        return Math.round(ms / d) + "d";
      }
      if (msAbs >= h) {
        return Math.round(ms / h) + "h";
      }
      if (msAbs >= m) {
        return Math.round(ms / m) + "m";
      }
      if (msAbs >= s) {
        return Math.round(ms / s) + "s";
      }
      return ms + "ms";
    }
    function fmtLong(ms) {
      var msAbs = Math.abs(ms);
      if (msAbs >= d) {
        return plural(ms, msAbs, d, "day");
      }
      if (msAbs >= h) {
        return plural(ms, msAbs, h, "hour");
      }
      if (msAbs >= m) {
        return plural(ms, msAbs, m, "minute");
      }
      if (msAbs >= s) {
        return plural(ms, msAbs, s, "second");
      }
      return ms + " ms";
    }
    function plural(ms, msAbs, n, name) {
      var isPlural = msAbs >= n * 1.5;
      return Math.round(ms / n) + " " + name + (isPlural ? "s" : "");
    }
  }
});

// node_modules/debug/src/common.js
var require_common = __commonJS({
  "node_modules/debug/src/common.js"(exports, module) {
    function setup(env) {
      createDebug4.debug = createDebug4;
      createDebug4.default = createDebug4;
      createDebug4.coerce = coerce;
      createDebug4.disable = disable;
      createDebug4.enable = enable;
      createDebug4.enabled = enabled;
      createDebug4.humanize = require_ms();
      createDebug4.destroy = destroy;
      Object.keys(env).forEach((key2) => {
        createDebug4[key2] = env[key2];
      });
      createDebug4.names = [];
      createDebug4.skips = [];
      createDebug4.formatters = {};
      function selectColor(namespace) {
        let hash = 0;
        for (let i = 0; i < namespace.length; i++) {
          hash = (hash << 5) - hash + namespace.charCodeAt(i);
          hash |= 0;
        }
        return createDebug4.colors[Math.abs(hash) % createDebug4.colors.length];
      }
      createDebug4.selectColor = selectColor;
      function createDebug4(namespace) {
        let prevTime;
        let enableOverride = null;
        let namespacesCache;
        let enabledCache;
        function debug4(...args) {
          if (!debug4.enabled) {
            return;
          }
          const self = debug4;
          const curr = Number(/* @__PURE__ */ new Date());
          const ms = curr - (prevTime || curr);
          self.diff = ms;
          self.prev = prevTime;
          self.curr = curr;
          prevTime = curr;
          args[0] = createDebug4.coerce(args[0]);
          if (typeof args[0] !== "string") {
            args.unshift("%O");
          }
          let index = 0;
          args[0] = args[0].replace(/%([a-zA-Z%])/g, (match, format) => {
            if (match === "%%") {
              return "%";
            }
            index++;
            const formatter = createDebug4.formatters[format];
            if (typeof formatter === "function") {
              const val = args[index];
              match = formatter.call(self, val);
              args.splice(index, 1);
              index--;
            }
            return match;
          });
          createDebug4.formatArgs.call(self, args);
          const logFn = self.log || createDebug4.log;
          logFn.apply(self, args);
        }
        debug4.namespace = namespace;
        debug4.useColors = createDebug4.useColors();
        debug4.color = createDebug4.selectColor(namespace);
        debug4.extend = extend;
        debug4.destroy = createDebug4.destroy;
        Object.defineProperty(debug4, "enabled", {
          enumerable: true,
          configurable: false,
          get: () => {
            if (enableOverride !== null) {
              return enableOverride;
            }
            if (namespacesCache !== createDebug4.namespaces) {
              namespacesCache = createDebug4.namespaces;
              enabledCache = createDebug4.enabled(namespace);
            }
            return enabledCache;
          },
          set: (v) => {
            enableOverride = v;
          }
        });
        if (typeof createDebug4.init === "function") {
          createDebug4.init(debug4);
        }
        return debug4;
      }
      function extend(namespace, delimiter) {
        const newDebug = createDebug4(this.namespace + (typeof delimiter === "undefined" ? ":" : delimiter) + namespace);
        newDebug.log = this.log;
        return newDebug;
      }
      function enable(namespaces) {
        createDebug4.save(namespaces);
        createDebug4.namespaces = namespaces;
        createDebug4.names = [];
        createDebug4.skips = [];
        const split = (typeof namespaces === "string" ? namespaces : "").trim().replace(/\s+/g, ",").split(",").filter(Boolean);
        for (const ns of split) {
          if (ns[0] === "-") {
            createDebug4.skips.push(ns.slice(1));
          } else {
            createDebug4.names.push(ns);
          }
        }
      }
      function matchesTemplate(search, template) {
        let searchIndex = 0;
        let templateIndex = 0;
        let starIndex = -1;
        let matchIndex = 0;
        while (searchIndex < search.length) {
          if (templateIndex < template.length && (template[templateIndex] === search[searchIndex] || template[templateIndex] === "*")) {
            if (template[templateIndex] === "*") {
              starIndex = templateIndex;
              matchIndex = searchIndex;
              templateIndex++;
            } else {
              searchIndex++;
              templateIndex++;
            }
          } else if (starIndex !== -1) {
            templateIndex = starIndex + 1;
            matchIndex++;
            searchIndex = matchIndex;
          } else {
            return false;
          }
        }
        while (templateIndex < template.length && template[templateIndex] === "*") {
          templateIndex++;
        }
        return templateIndex === template.length;
      }
      function disable() {
        const namespaces = [
          ...createDebug4.names,
          ...createDebug4.skips.map((namespace) => "-" + namespace)
        ].join(",");
        createDebug4.enable("");
        return namespaces;
      }
      function enabled(name) {
        for (const skip of createDebug4.skips) {
          if (matchesTemplate(name, skip)) {
            return false;
          }
        }
        for (const ns of createDebug4.names) {
          if (matchesTemplate(name, ns)) {
            return true;
          }
        }
        return false;
      }
      function coerce(val) {
        if (val instanceof Error) {
          return val.stack || val.message;
        }
        return val;
      }
      function destroy() {
        console.warn("Instance method `debug.destroy()` is deprecated and no longer does anything. It will be removed in the next major version of `debug`.");
      }
      createDebug4.enable(createDebug4.load());
      return createDebug4;
    }
    module.exports = setup;
  }
});

// node_modules/debug/src/browser.js
var require_browser = __commonJS({
  "node_modules/debug/src/browser.js"(exports, module) {
    exports.formatArgs = formatArgs;
    exports.save = save;
    exports.load = load;
    exports.useColors = useColors;
    exports.storage = localstorage();
    exports.destroy = /* @__PURE__ */ (() => {
      let warned2 = false;
      return () => {
        if (!warned2) {
          warned2 = true;
          console.warn("Instance method `debug.destroy()` is deprecated and no longer does anything. It will be removed in the next major version of `debug`.");
        }
      };
    })();
    exports.colors = [
      "#0000CC",
      "#0000FF",
      "#0033CC",
      "#0033FF",
      "#0066CC",
      "#0066FF",
      "#0099CC",
      "#0099FF",
      "#00CC00",
      "#00CC33",
      "#00CC66",
      "#00CC99",
      "#00CCCC",
      "#00CCFF",
      "#3300CC",
      "#3300FF",
      "#3333CC",
      "#3333FF",
      "#3366CC",
      "#3366FF",
      "#3399CC",
      "#3399FF",
      "#33CC00",
      "#33CC33",
      "#33CC66",
      "#33CC99",
      "#33CCCC",
      "#33CCFF",
      "#6600CC",
      "#6600FF",
      "#6633CC",
      "#6633FF",
      "#66CC00",
      "#66CC33",
      "#9900CC",
      "#9900FF",
      "#9933CC",
      "#9933FF",
      "#99CC00",
      "#99CC33",
      "#CC0000",
      "#CC0033",
      "#CC0066",
      "#CC0099",
      "#CC00CC",
      "#CC00FF",
      "#CC3300",
      "#CC3333",
      "#CC3366",
      "#CC3399",
      "#CC33CC",
      "#CC33FF",
      "#CC6600",
      "#CC6633",
      "#CC9900",
      "#CC9933",
      "#CCCC00",
      "#CCCC33",
      "#FF0000",
      "#FF0033",
      "#FF0066",
      "#FF0099",
      "#FF00CC",
      "#FF00FF",
      "#FF3300",
      "#FF3333",
      "#FF3366",
      "#FF3399",
      "#FF33CC",
      "#FF33FF",
      "#FF6600",
      "#FF6633",
      "#FF9900",
      "#FF9933",
      "#FFCC00",
      "#FFCC33"
    ];
    function useColors() {
      if (typeof window !== "undefined" && window.process && (window.process.type === "renderer" || window.process.__nwjs)) {
        return true;
      }
      if (typeof navigator !== "undefined" && navigator.userAgent && navigator.userAgent.toLowerCase().match(/(edge|trident)\/(\d+)/)) {
        return false;
      }
      let m;
      return typeof document !== "undefined" && document.documentElement && document.documentElement.style && document.documentElement.style.WebkitAppearance || // Is firebug? http://stackoverflow.com/a/398120/376773
      typeof window !== "undefined" && window.console && (window.console.firebug || window.console.exception && window.console.table) || // Is firefox >= v31?
      // https://developer.mozilla.org/en-US/docs/Tools/Web_Console#Styling_messages
      typeof navigator !== "undefined" && navigator.userAgent && (m = navigator.userAgent.toLowerCase().match(/firefox\/(\d+)/)) && parseInt(m[1], 10) >= 31 || // Double check webkit in userAgent just in case we are in a worker
      typeof navigator !== "undefined" && navigator.userAgent && navigator.userAgent.toLowerCase().match(/applewebkit\/(\d+)/);
    }
    function formatArgs(args) {
      args[0] = (this.useColors ? "%c" : "") + this.namespace + (this.useColors ? " %c" : " ") + args[0] + (this.useColors ? "%c " : " ") + "+" + module.exports.humanize(this.diff);
      if (!this.useColors) {
        return;
      }
      const c = "color: " + this.color;
      args.splice(1, 0, c, "color: inherit");
      let index = 0;
      let lastC = 0;
      args[0].replace(/%[a-zA-Z%]/g, (match) => {
        if (match === "%%") {
          return;
        }
        index++;
        if (match === "%c") {
          lastC = index;
        }
      });
      args.splice(lastC, 0, c);
    }
    exports.log = console.debug || console.log || (() => {
    });
    function save(namespaces) {
      try {
        if (namespaces) {
          exports.storage.setItem("debug", namespaces);
        } else {
          exports.storage.removeItem("debug");
        }
      } catch (error) {
      }
    }
    function load() {
      let r;
      try {
        r = exports.storage.getItem("debug") || exports.storage.getItem("DEBUG");
      } catch (error) {
      }
      if (!r && typeof process !== "undefined" && "env" in process) {
        r = process.env.DEBUG;
      }
      return r;
    }
    function localstorage() {
      try {
        return localStorage;
      } catch (error) {
      }
    }
    module.exports = require_common()(exports);
    var { formatters } = module.exports;
    formatters.j = function(v) {
      try {
        return JSON.stringify(v);
      } catch (error) {
        return "[UnexpectedJSONParseError]: " + error.message;
      }
    };
  }
});

// node_modules/debug/src/node.js
var require_node = __commonJS({
  "node_modules/debug/src/node.js"(exports, module) {
    var tty = __require("tty");
    var util = __require("util");
    exports.init = init;
    exports.log = log;
    exports.formatArgs = formatArgs;
    exports.save = save;
    exports.load = load;
    exports.useColors = useColors;
    exports.destroy = util.deprecate(
      () => {
      },
      "Instance method `debug.destroy()` is deprecated and no longer does anything. It will be removed in the next major version of `debug`."
    );
    exports.colors = [6, 2, 3, 4, 5, 1];
    try {
      const supportsColor = __require("supports-color");
      if (supportsColor && (supportsColor.stderr || supportsColor).level >= 2) {
        exports.colors = [
          20,
          21,
          26,
          27,
          32,
          33,
          38,
          39,
          40,
          41,
          42,
          43,
          44,
          45,
          56,
          57,
          62,
          63,
          68,
          69,
          74,
          75,
          76,
          77,
          78,
          79,
          80,
          81,
          92,
          93,
          98,
          99,
          112,
          113,
          128,
          129,
          134,
          135,
          148,
          149,
          160,
          161,
          162,
          163,
          164,
          165,
          166,
          167,
          168,
          169,
          170,
          171,
          172,
          173,
          178,
          179,
          184,
          185,
          196,
          197,
          198,
          199,
          200,
          201,
          202,
          203,
          204,
          205,
          206,
          207,
          208,
          209,
          214,
          215,
          220,
          221
        ];
      }
    } catch (error) {
    }
    exports.inspectOpts = Object.keys(process.env).filter((key2) => {
      return /^debug_/i.test(key2);
    }).reduce((obj, key2) => {
      const prop = key2.substring(6).toLowerCase().replace(/_([a-z])/g, (_, k) => {
        return k.toUpperCase();
      });
      let val = process.env[key2];
      if (/^(yes|on|true|enabled)$/i.test(val)) {
        val = true;
      } else if (/^(no|off|false|disabled)$/i.test(val)) {
        val = false;
      } else if (val === "null") {
        val = null;
      } else {
        val = Number(val);
      }
      obj[prop] = val;
      return obj;
    }, {});
    function useColors() {
      return "colors" in exports.inspectOpts ? Boolean(exports.inspectOpts.colors) : tty.isatty(process.stderr.fd);
    }
    function formatArgs(args) {
      const { namespace: name, useColors: useColors2 } = this;
      if (useColors2) {
        const c = this.color;
        const colorCode = "\x1B[3" + (c < 8 ? c : "8;5;" + c);
        const prefix = `  ${colorCode};1m${name} \x1B[0m`;
        args[0] = prefix + args[0].split("\n").join("\n" + prefix);
        args.push(colorCode + "m+" + module.exports.humanize(this.diff) + "\x1B[0m");
      } else {
        args[0] = getDate() + name + " " + args[0];
      }
    }
    function getDate() {
      if (exports.inspectOpts.hideDate) {
        return "";
      }
      return (/* @__PURE__ */ new Date()).toISOString() + " ";
    }
    function log(...args) {
      return process.stderr.write(util.formatWithOptions(exports.inspectOpts, ...args) + "\n");
    }
    function save(namespaces) {
      if (namespaces) {
        process.env.DEBUG = namespaces;
      } else {
        delete process.env.DEBUG;
      }
    }
    function load() {
      return process.env.DEBUG;
    }
    function init(debug4) {
      debug4.inspectOpts = {};
      const keys = Object.keys(exports.inspectOpts);
      for (let i = 0; i < keys.length; i++) {
        debug4.inspectOpts[keys[i]] = exports.inspectOpts[keys[i]];
      }
    }
    module.exports = require_common()(exports);
    var { formatters } = module.exports;
    formatters.o = function(v) {
      this.inspectOpts.colors = this.useColors;
      return util.inspect(v, this.inspectOpts).split("\n").map((str) => str.trim()).join(" ");
    };
    formatters.O = function(v) {
      this.inspectOpts.colors = this.useColors;
      return util.inspect(v, this.inspectOpts);
    };
  }
});

// node_modules/debug/src/index.js
var require_src = __commonJS({
  "node_modules/debug/src/index.js"(exports, module) {
    if (typeof process === "undefined" || process.type === "renderer" || process.browser === true || process.__nwjs) {
      module.exports = require_browser();
    } else {
      module.exports = require_node();
    }
  }
});

// src/util/heap-growth.ts
import v8 from "node:v8";
v8.setFlagsFromString("--semi-space-growth-factor=1");
v8.setFlagsFromString("--optimize-for-size");

// src/entries/job-proxy.ts
import { renameSync as renameSync3, writeFileSync as writeFileSync2 } from "node:fs";
import { text } from "node:stream/consumers";

// src/util/process.ts
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";

// src/util/duration.ts
function formatDuration(ms) {
  if (Math.round(ms) < 1e3) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1e3);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  const minutes = Math.round(ms / 6e4);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

// src/util/process.ts
var OUTPUT_TIMEOUT_MS = 6e4;
function output(command, args, options) {
  const { timeoutMs = OUTPUT_TIMEOUT_MS, input = "", maxBytes = 64 * 1024 * 1024, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: ["pipe", "pipe", "pipe"], windowsHide: true, detached: process.platform !== "win32" });
    const exited = new Promise((done) => child.once("close", () => done()));
    const forget = child.pid === void 0 ? () => void 0 : killGroupOnCancel(child.pid, exited);
    let failure;
    const stop2 = (why) => {
      failure ??= why;
      if (child.pid !== void 0) killTree(child.pid);
    };
    const timer = setTimeout(() => stop2(new Error(`${path.basename(command)} ${args[0] ?? ""} did not finish within ${formatDuration(timeoutMs)}, and was killed`)), timeoutMs);
    const collected = { stdout: [], stderr: [], bytes: 0 };
    for (const name of ["stdout", "stderr"]) {
      child[name].on("data", (chunk) => {
        collected[name].push(chunk);
        collected.bytes += chunk.length;
        if (collected.bytes > maxBytes) stop2(new Error(`${path.basename(command)} ${args[0] ?? ""} printed more than ${maxBytes} bytes`));
      });
    }
    child.once("error", (e) => failure ??= e);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      forget();
      if (failure) return reject(failure);
      if (code === null) return reject(new Error(`${path.basename(command)} ${args[0] ?? ""} was ended by ${signal}`));
      resolve({ code, stdout: Buffer.concat(collected.stdout).toString(), stderr: Buffer.concat(collected.stderr).toString() });
    });
    child.stdin.on("error", () => void 0);
    child.stdin.end(input);
  });
}
var live = /* @__PURE__ */ new Map();
var cleanups = /* @__PURE__ */ new Set();
function killGroupOnCancel(pid, exited) {
  live.set(pid, exited);
  return () => live.delete(pid);
}
function killTree(pid) {
  if (process.platform === "win32") {
    spawnSync("taskkill", ["/pid", String(pid), "/T", "/F"], { stdio: "ignore", windowsHide: true });
    return;
  }
  signalGroup(pid, "SIGKILL");
}
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
  }
}
function cleanUpOnCancel(cleanup) {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

// src/go/goenv.ts
var EXE = process.platform === "win32" ? "go.exe" : "go";
function processEnv() {
  return Object.fromEntries(Object.entries(process.env).filter((e) => e[1] !== void 0));
}

// src/later/serve.ts
import path8 from "node:path";
import { rmSync } from "node:fs";

// src/fetch/verifying-proxy.ts
import path5 from "node:path";

// src/fetch/fetcher.ts
import { randomBytes as randomBytes3 } from "node:crypto";
import { rm } from "node:fs/promises";

// node_modules/is-network-error/index.js
var objectToString = Object.prototype.toString;
var isError = (value) => objectToString.call(value) === "[object Error]";
var errorMessages = /* @__PURE__ */ new Set([
  "network error",
  // Chrome
  "NetworkError when attempting to fetch resource.",
  // Firefox
  "The Internet connection appears to be offline.",
  // Safari 16
  "Network request failed",
  // `cross-fetch`
  "fetch failed",
  // Undici (Node.js)
  "terminated",
  // Undici (Node.js)
  " A network error occurred.",
  // Bun (WebKit)
  "Network connection lost"
  // Cloudflare Workers (fetch)
]);
function isNetworkError(error) {
  const isValid = error && isError(error) && error.name === "TypeError" && typeof error.message === "string";
  if (!isValid) {
    return false;
  }
  const { message, stack } = error;
  if (message === "Load failed" || message.startsWith("Load failed (") && message.endsWith(")")) {
    return stack === void 0 || "__sentry_captured__" in error;
  }
  if (message.startsWith("error sending request for url")) {
    return true;
  }
  if (message === "Failed to fetch" || message.startsWith("Failed to fetch (") && message.endsWith(")")) {
    return true;
  }
  return errorMessages.has(message);
}

// node_modules/p-retry/index.js
function validateRetries(retries) {
  if (typeof retries === "number") {
    if (retries < 0) {
      throw new TypeError("Expected `retries` to be a non-negative number.");
    }
    if (Number.isNaN(retries)) {
      throw new TypeError("Expected `retries` to be a valid number or Infinity, got NaN.");
    }
    if (Number.isFinite(retries) && !Number.isInteger(retries)) {
      throw new TypeError("Expected `retries` to be a non-negative integer or Infinity.");
    }
  } else if (retries !== void 0) {
    throw new TypeError("Expected `retries` to be a number or Infinity.");
  }
}
function validateNumberOption(name, value, { allowInfinity = false } = {}) {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`Expected \`${name}\` to be a number${allowInfinity ? " or Infinity" : ""}.`);
  }
  if (!allowInfinity && !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${name}\` to be a finite number.`);
  }
  if (value < 0) {
    throw new TypeError(`Expected \`${name}\` to be \u2265 0.`);
  }
}
function validateOption(name, value, type) {
  if (value === void 0 || value === null) {
    return;
  }
  if (typeof value !== type) {
    throw new TypeError(`Expected \`${name}\` to be a ${type}.`);
  }
}
function validateSignal(value) {
  if (value === void 0 || value === null) {
    return;
  }
  if (typeof value.throwIfAborted !== "function" || typeof value.addEventListener !== "function" || typeof value.removeEventListener !== "function") {
    throw new TypeError("Expected `signal` to be an AbortSignal.");
  }
}
var AbortError = class _AbortError extends Error {
  constructor(message) {
    super(typeof message === "string" ? message : void 0);
    this.name = "AbortError";
    if (message instanceof Error) {
      this.originalError = message;
      ({ message } = message);
    } else {
      this.originalError = new Error(message);
      ({ message } = this.originalError);
      Error.captureStackTrace?.(this.originalError, _AbortError);
    }
    this.message = message;
  }
};
var maximumDelay = 2 ** 31 - 1;
function calculateDelay(retriesConsumed, options) {
  if (options.minTimeout === 0) {
    return 0;
  }
  const attempt = retriesConsumed + 1;
  const random = options.randomize ? Math.random() + 1 : 1;
  const timeout = Math.round(random * options.minTimeout * options.factor ** (attempt - 1));
  return Math.min(timeout, Math.ceil(options.maxTimeout), maximumDelay);
}
function calculateRemainingTime(start2, max) {
  return Number.isFinite(max) ? max - (performance.now() - start2) : max;
}
async function delayForRetry(delay, options) {
  if (delay <= 0) {
    return;
  }
  await new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timeoutToken);
      reject(options.signal.reason);
    };
    const timeoutToken = setTimeout(() => {
      options.signal?.removeEventListener("abort", onAbort);
      resolve();
    }, delay);
    if (options.unref) {
      timeoutToken.unref?.();
    }
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
function stringifyThrownValue(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
function unwrapAbortError(error) {
  let cause = error;
  while (cause instanceof AbortError && cause.originalError instanceof Error) {
    cause = cause.originalError;
  }
  return cause;
}
async function onAttemptFailure({ error, attemptNumber, retriesConsumed, startTime, options }) {
  const abortIfNeeded = () => {
    options.signal?.throwIfAborted();
  };
  const normalizedError = error instanceof Error ? error : new TypeError(`Non-error was thrown: "${stringifyThrownValue(error)}". You should only throw errors.`);
  abortIfNeeded();
  if (normalizedError instanceof AbortError) {
    throw unwrapAbortError(normalizedError);
  }
  const retriesLeft = options.retries - retriesConsumed;
  const isRetriableError = !(normalizedError instanceof TypeError) || isNetworkError(normalizedError);
  const timeLeft = calculateRemainingTime(startTime, options.maxRetryTime);
  const delayTime = isRetriableError && timeLeft > 0 && retriesLeft > 0 ? calculateDelay(retriesConsumed, options) : 0;
  const consumeRetryContext = Object.freeze({
    error: normalizedError,
    attemptNumber,
    retriesLeft,
    retriesConsumed,
    retryDelay: delayTime
  });
  const consumeRetry = await options.shouldConsumeRetry(consumeRetryContext) ?? true;
  abortIfNeeded();
  const effectiveDelay = consumeRetry ? delayTime : 0;
  const context = Object.freeze({
    error: normalizedError,
    attemptNumber,
    retriesLeft,
    retriesConsumed,
    retryDelay: effectiveDelay
  });
  await options.onFailedAttempt(context);
  abortIfNeeded();
  const remainingTime = calculateRemainingTime(startTime, options.maxRetryTime);
  if (!isRetriableError || remainingTime <= 0 || retriesLeft <= 0) {
    throw normalizedError;
  }
  const shouldRetry = await options.shouldRetry(context);
  abortIfNeeded();
  if (!shouldRetry) {
    throw normalizedError;
  }
  const remainingTimeAfterShouldRetry = calculateRemainingTime(startTime, options.maxRetryTime);
  if (remainingTimeAfterShouldRetry <= 0) {
    throw normalizedError;
  }
  if (!consumeRetry) {
    return false;
  }
  await delayForRetry(Math.min(effectiveDelay, remainingTimeAfterShouldRetry), options);
  return true;
}
async function pRetry(input, options = {}) {
  options = { ...options };
  options.retries ??= 10;
  validateRetries(options.retries);
  if (Object.hasOwn(options, "forever")) {
    throw new Error("The `forever` option is no longer supported. For many use-cases, you can set `retries: Infinity` instead.");
  }
  options.factor ??= 2;
  options.minTimeout ??= 1e3;
  options.maxTimeout ??= Infinity;
  options.maxRetryTime ??= Infinity;
  options.randomize ??= false;
  options.onFailedAttempt ??= () => {
  };
  options.shouldRetry ??= () => true;
  options.shouldConsumeRetry ??= () => true;
  validateOption("onFailedAttempt", options.onFailedAttempt, "function");
  validateOption("shouldRetry", options.shouldRetry, "function");
  validateOption("shouldConsumeRetry", options.shouldConsumeRetry, "function");
  validateOption("randomize", options.randomize, "boolean");
  validateOption("unref", options.unref, "boolean");
  validateSignal(options.signal);
  validateNumberOption("factor", options.factor);
  validateNumberOption("minTimeout", options.minTimeout);
  validateNumberOption("maxTimeout", options.maxTimeout, { allowInfinity: true });
  validateNumberOption("maxRetryTime", options.maxRetryTime, { allowInfinity: true });
  if (options.factor === 0) {
    options.factor = 1;
  }
  options.signal?.throwIfAborted();
  let attemptNumber = 0;
  let retriesConsumed = 0;
  const startTime = performance.now();
  while (retriesConsumed <= options.retries) {
    attemptNumber++;
    try {
      options.signal?.throwIfAborted();
      const result = await input(attemptNumber);
      options.signal?.throwIfAborted();
      return result;
    } catch (error) {
      if (await onAttemptFailure({
        error,
        attemptNumber,
        retriesConsumed,
        startTime,
        options
      })) {
        retriesConsumed++;
      }
    }
  }
  throw new Error("Retry attempts exhausted without throwing an error.");
}

// src/go/goproxy.ts
import { fileURLToPath } from "node:url";

// src/util/credentials.ts
var USERINFO_CHARS = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;
function userinfoOf(url) {
  const authority = authorityOf(url);
  const at = authority?.lastIndexOf("@") ?? -1;
  if (authority === void 0 || at < 0) return void 0;
  const written = authority.slice(0, at);
  if (!USERINFO_CHARS.test(written)) throw new Error("its user name or password holds a character go refuses there");
  const colon = written.indexOf(":");
  const decode = (text2) => {
    if (/%(?![0-9A-Fa-f]{2})/.test(text2)) throw new Error("its user name or password holds an invalid %-escape");
    try {
      return decodeURIComponent(text2);
    } catch {
      throw new Error("its user name or password is not UTF-8 text");
    }
  };
  return colon < 0 ? { username: decode(written), password: "", written } : { username: decode(written.slice(0, colon)), password: decode(written.slice(colon + 1)), written };
}
var authorityOf = (url) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(url)?.[1];
function hostOf(url) {
  const authority = authorityOf(url);
  return authority?.slice(authority.lastIndexOf("@") + 1);
}
var WITH_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;
function redactUrl(raw) {
  return raw.replace(WITH_USERINFO, "$1***@");
}
function suspectSpan(entry) {
  const end = entry.lastIndexOf("@");
  if (end < 0) return void 0;
  return { start: schemeAndSlashes(entry).length, end };
}
function schemeAndSlashes(entry) {
  return /^[a-z][a-z0-9+.-]*:[/\\]+/i.exec(entry)?.[0] ?? "";
}
function suspectUserinfo(entry) {
  const span = suspectSpan(entry);
  return span ? entry.slice(span.start, span.end) : "";
}
function redactEntry(entry) {
  const span = suspectSpan(entry);
  return span ? `${entry.slice(0, span.start)}***${entry.slice(span.end)}` : entry;
}
function hidesGoUserinfo(entry) {
  return suspectUserinfo(entry) === (WITH_USERINFO.exec(entry)?.[2] ?? "");
}
function refusedSecrets(entry) {
  return [.../* @__PURE__ */ new Set([...secretsIn(entry), suspectUserinfo(entry)])].filter((s) => s !== "");
}
function secretsIn(raw) {
  let info;
  try {
    info = userinfoOf(raw);
  } catch {
    const written2 = WITH_USERINFO.exec(raw)?.[2];
    info = written2 === void 0 ? void 0 : { username: written2, password: "", written: written2 };
  }
  if (!info) return [];
  const { username, password, written } = info;
  const colon = written.indexOf(":");
  const forms = [written, ...colon < 0 ? [] : [written.slice(0, colon), written.slice(colon + 1)]];
  for (const part of [username, password]) forms.push(part, encodeURIComponent(part), goEscape(part));
  try {
    const whatwg = new URL(raw);
    forms.push(whatwg.username, whatwg.password);
  } catch {
  }
  return [...new Set(forms)].filter((s) => s !== "");
}
var GO_USERINFO_KEPT = /^[A-Za-z0-9\-._~$&+,;=]$/;
function goEscape(text2) {
  return [...Buffer.from(text2)].map((b) => GO_USERINFO_KEPT.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

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
function escapeCase(text2) {
  return text2.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}
function unescapeCase(escaped2) {
  if (/[A-Z]|[^\u0000-\u007f]|!(?![a-z])/.test(escaped2)) return void 0;
  return escaped2.replace(/!([a-z])/g, (_, c) => c.toUpperCase());
}

// src/module/path.ts
function modulePathProblem(path9) {
  if (path9 === "") return "empty string";
  if (path9.startsWith("-")) return "leading dash";
  if (path9.includes("//")) return "double slash";
  if (path9.endsWith("/")) return "trailing slash";
  for (const elem of path9.split("/")) {
    const problem = elementProblem(elem, "module");
    if (problem) return problem;
  }
  const first = path9.split("/")[0];
  if (!first.includes(".")) return "missing dot in first path element";
  const bad = /[^a-z0-9.-]/.exec(first);
  if (bad) return `invalid char ${JSON.stringify(bad[0])} in first path element`;
  if (splitPathVersion(path9) === void 0) return "invalid version";
  return void 0;
}
function splitPathVersion(path9) {
  if (path9.startsWith("gopkg.in/")) {
    const m2 = /^(.*)(\.v(\d+)(?:-unstable)?)$/.exec(path9);
    if (!m2) return void 0;
    const major = m2[2];
    if (m2[3].startsWith("0") && major !== ".v0") return void 0;
    return { prefix: m2[1], major };
  }
  const m = /\/v([0-9.]+)$/.exec(path9);
  if (!m) return { prefix: path9, major: "" };
  const suffix = m[1];
  if (suffix.includes(".") || suffix.startsWith("0") || suffix === "1") return void 0;
  return { prefix: path9.slice(0, m.index), major: `/v${suffix}` };
}
function escapePath(path9) {
  const problem = modulePathProblem(path9);
  if (problem) throw new Error(`malformed module path ${JSON.stringify(path9)}: ${problem}`);
  return escapeCase(path9);
}
function unescapePath(escaped2) {
  const path9 = unescapeCase(escaped2);
  return path9 !== void 0 && modulePathProblem(path9) === void 0 ? path9 : void 0;
}

// src/module/version.ts
function versionProblem(version) {
  if (version.includes("!")) return "disallowed version string";
  return elementProblem(version, "file");
}
function escapeVersion(version) {
  const problem = versionProblem(version);
  if (problem) throw new Error(`malformed version ${JSON.stringify(version)}: ${problem}`);
  return escapeCase(version);
}
function unescapeVersion(escaped2) {
  const version = unescapeCase(escaped2);
  return version !== void 0 && elementProblem(version, "file") === void 0 ? version : void 0;
}
var NUMBER = "(?:0|[1-9][0-9]*)";
var IDENTIFIER = `(?:${NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
var CANONICAL = new RegExp(`^v${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-${IDENTIFIER}(?:\\.${IDENTIFIER})*)?(?:\\+incompatible)?$`);
function isCanonicalVersion(version) {
  return CANONICAL.test(version);
}

// src/module/request.ts
function downloadPath(module, version, kind) {
  return `${escapePath(module)}/@v/${escapeVersion(version)}.${kind}`;
}
function listPath(module) {
  return `${escapePath(module)}/@v/list`;
}
function latestPath(module) {
  return `${escapePath(module)}/@latest`;
}
function wirePath(path9) {
  return path9.split("/").map((element) => [...Buffer.from(element)].map((b) => /[A-Za-z0-9\-._~$&+:=@]/.test(String.fromCharCode(b)) && b < 128 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("")).join("/");
}
function parseRequestPath(path9) {
  const decoded = [];
  for (const element of path9.split("/")) {
    let text2;
    try {
      text2 = decodeURIComponent(element);
    } catch {
      return { problem: "malformed percent-encoding" };
    }
    if (text2.includes("/")) return { problem: "an encoded / in the path" };
    decoded.push(text2);
  }
  const whole = decoded.join("/");
  const latest = /^(.+)\/@latest$/.exec(whole);
  const list = /^(.+)\/@v\/list$/.exec(whole);
  const file2 = /^(.+)\/@v\/([^/]+)\.(info|mod|zip)$/.exec(whole);
  const escapedModule = (latest ?? list ?? file2)?.[1];
  if (escapedModule === void 0) return { problem: "not a module proxy request" };
  const module = unescapePath(escapedModule);
  if (module === void 0) return { problem: "not a module path go could ask for" };
  if (latest) return { kind: "latest", module, path: latestPath(module) };
  if (list) return { kind: "list", module, path: listPath(module) };
  const [, , escapedVersion, kind] = file2;
  const version = unescapeVersion(escapedVersion);
  if (version === void 0) return { problem: "not a version go could ask for" };
  if (kind !== "info" && !isCanonicalVersion(version)) return { problem: `not a canonical version, as go asks a .${kind} for` };
  return { kind, module, version, path: downloadPath(module, version, kind) };
}

// src/go/goproxy.ts
var EntryError = class extends Error {
  secrets;
  problem;
  constructor(entry, problem, options) {
    const scheme = options?.split ? schemeAndSlashes(entry) : void 0;
    const shown = scheme === void 0 ? redactEntry(entry) : `${scheme}***`;
    super(`"${shown}" ${problem}${scheme === void 0 ? "" : ' (a "," or "|" in a user name or password ends the entry there: %-escape it)'}`, options);
    this.name = "EntryError";
    this.problem = problem;
    this.secrets = [.../* @__PURE__ */ new Set([...refusedSecrets(entry), ...scheme === void 0 ? [] : [entry.slice(scheme.length)]])].filter((s) => s !== "");
  }
};
var KEYWORDS = /* @__PURE__ */ new Set(["direct", "off"]);
var MAX_CANDIDATES = 16;
function parseCandidates(text2) {
  const entries = text2.split(/[\n\r,|]+/).map((e) => e.trim()).filter((e) => e !== "");
  if (entries.length === 0) throw new Error("no proxy given");
  if (entries.length > MAX_CANDIDATES) {
    throw new Error(`${entries.length} candidates given; at most ${MAX_CANDIDATES} are allowed`);
  }
  const seen = /* @__PURE__ */ new Set();
  const candidates = [];
  for (const entry of entries) {
    let candidate;
    try {
      candidate = parseCandidate(entry);
    } catch (e) {
      if (e instanceof EntryError && !entry.includes("@") && text2.includes("@")) throw new EntryError(entry, e.problem, { cause: e, split: true });
      throw e;
    }
    if (seen.has(candidate.spec)) continue;
    seen.add(candidate.spec);
    candidates.push(candidate);
  }
  return candidates;
}
function parseCandidate(entry) {
  if (KEYWORDS.has(entry)) return { spec: entry, display: entry, keyword: true };
  const nameable = hidesGoUserinfo(entry);
  if (/[\s\u0000-\u001f\u007f]/.test(entry)) {
    throw new EntryError(entry, "contains a space or a control character");
  }
  if (/^file:/i.test(entry)) return parseFileCandidate(entry);
  if (entry.includes("\\")) throw new EntryError(entry, "contains a backslash");
  if (/%(?![0-9A-Fa-f]{2})/.test(entry)) throw new EntryError(entry, "holds an invalid %-escape");
  let url;
  try {
    url = new URL(entry);
    userinfoOf(entry);
    const goHost = (hostOf(entry) ?? "").toLowerCase().replace(url.protocol === "https:" ? /:443$/ : /:80$/, "");
    if (goHost !== url.host) {
      throw new Error(nameable ? `go would send its requests to "${goHost}", not "${url.host}"` : "go would send its requests to another host than a WHATWG parser reads");
    }
  } catch (e) {
    throw new EntryError(entry, `is not a URL, "direct" or "off"${e instanceof TypeError ? "" : `: ${e.message}`}`, { cause: e });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new EntryError(entry, `uses ${nameable ? url.protocol.slice(0, -1) : "a scheme that is not http or https"}; only http and https proxies are supported, and file:/// directories`);
  }
  if (url.protocol === "http:" && (url.username || url.password)) {
    throw new EntryError(entry, "carries credentials over plain http; use https");
  }
  if (!nameable) throw new EntryError(entry, 'has an "@" after its host; a user name or password holding "/", "?" or "#" must be %-escaped');
  const spec = entry.replace(/\/+$/, "");
  return { spec, display: redactUrl(spec), keyword: false };
}
function parseFileCandidate(entry) {
  const rest = entry.slice("file:".length);
  if (!rest.startsWith("///") || /[?#]/.test(rest)) {
    throw new EntryError(entry, "is not a file:// proxy go accepts: it must be a path alone, like file:///srv/goproxy (go: invalid file:// proxy URL with non-path elements)");
  }
  let dir;
  try {
    dir = fileURLToPath(new URL(`file:${rest}`));
  } catch (e) {
    throw new EntryError(entry, `is not a file:// proxy go accepts: ${e.message}`, { cause: e });
  }
  return { spec: entry, display: entry, keyword: true, dir };
}
function requestUrl(candidate, path9) {
  return `${candidate.spec.replace(/\/+$/, "")}/${wirePath(path9.replace(/^\/+/, ""))}`;
}

// src/module/absent.ts
function isAbsent(status) {
  return status === 404 || status === 410;
}

// src/util/size.ts
var formatSize = (bytes) => {
  if (bytes === void 0) return "";
  return bytes <= 1023 << 10 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
};

// src/util/timing.ts
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
var HEDGE_AFTER_MIN_MS = 250;
var HEDGE_AFTER_FACTOR = 4;
var STALL_WINDOW_MIN_MS = 3e3;
var STALL_WINDOW_FACTOR = 20;
function hedgeAfterMs(typicalFirstByteMs) {
  return Math.max(HEDGE_AFTER_MIN_MS, HEDGE_AFTER_FACTOR * typicalFirstByteMs);
}
var FLOOR_BYTES_PER_SEC = 1024;
function stallWindowMs(typicalFirstByteMs, stallTimeoutMs) {
  return Math.min(stallTimeoutMs, Math.max(STALL_WINDOW_MIN_MS, STALL_WINDOW_FACTOR * typicalFirstByteMs));
}
var BODY_HEDGE_MIN_MS = 1e3;
var THROUGHPUT_HEDGE_FACTOR = 8;
function bodyHedgeWindowMs(typicalFirstByteMs) {
  return Math.max(BODY_HEDGE_MIN_MS, HEDGE_AFTER_FACTOR * typicalFirstByteMs);
}
function slowBodyBytesPerSec(usualBytesPerSec) {
  return Math.max(FLOOR_BYTES_PER_SEC, (usualBytesPerSec ?? 0) / THROUGHPUT_HEDGE_FACTOR);
}
var Throughput = class {
  windowMs;
  startedAt;
  /** Running totals, each at the time its slot opened; the oldest is the last one at or before the window's start. */
  slots = [];
  total = 0;
  constructor(windowMs, now) {
    this.windowMs = windowMs;
    this.startedAt = now;
    this.slots.push({ at: now, total: 0 });
  }
  add(bytes, now) {
    this.total += bytes;
    const last = this.slots[this.slots.length - 1];
    if (now - last.at < this.windowMs / 16) last.total = this.total;
    else this.slots.push({ at: now, total: this.total });
    while (this.slots.length > 1 && this.slots[1].at <= now - this.windowMs) this.slots.shift();
  }
  /** The rate over the last window; undefined until a whole window has passed since the start. */
  rate(now) {
    if (now - this.startedAt < this.windowMs) return void 0;
    let base = 0;
    for (const slot of this.slots) {
      if (slot.at > now - this.windowMs) break;
      base = slot.total;
    }
    return (this.total - base) * 1e3 / this.windowMs;
  }
  /** Whether a whole window has passed, over which less than `bytesPerSec` came. */
  below(bytesPerSec, now) {
    const rate = this.rate(now);
    return rate !== void 0 && rate < bytesPerSec;
  }
};
function stallCheckEveryMs(stallTimeoutMs) {
  return Math.min(500, Math.max(50, stallTimeoutMs / 10));
}
var MAX_BACKOFF_MS = 3e4;
function backoff(baseMs) {
  return { minTimeout: baseMs, factor: 2, randomize: true, maxTimeout: MAX_BACKOFF_MS };
}
var LOCK_WAIT_MS = 1e4;
var CHECK_BYTES_PER_SECOND = 8 << 20;

// src/fetch/stats.ts
var emptyStats = () => ({ requests: 0, bytes: 0, served: 0, failures: 0, stalls: 0, stallStreak: 0, notFound: 0, rejected: 0, hedgesWon: 0, hedgesLost: 0 });
var STALL_STREAK = 3;
function isTroubled(s) {
  return s.rejected > 0 || failsOften(s) || s.stallStreak >= STALL_STREAK;
}
function failsOften(s) {
  const bad = s.failures + s.stalls;
  return bad >= 3 && bad * 10 >= s.requests;
}

// src/fetch/race.ts
var SAMPLE_WINDOW = 32;
var RATE_SAMPLE_MIN_BYTES = 64 << 10;
var HEDGE_CHECK_MS = 50;
var CandidateRaces = class {
  stats;
  /** Requests asked beside a slow one. */
  hedges = 0;
  /** Healthy candidates in chain order: those the fetch started with, until useCandidates(). */
  candidates;
  /** Time to first byte per candidate, seeded with its probe latency. */
  samples;
  /** Body rates (bytes/s) of each candidate's recent large transfers: its usual rate. */
  rates = /* @__PURE__ */ new Map();
  /** Each candidate's stalls in a row, per kind of file, since it last served one of that kind. */
  stallStreaks = /* @__PURE__ */ new Map();
  /** The races under way, each looked at every HEDGE_CHECK_MS for a request too slow. */
  watched = /* @__PURE__ */ new Set();
  watchTimer;
  /** Whether more candidates may come, and the races waiting for them. */
  candidatesComing;
  waitingForCandidates = [];
  stallTimeoutMs;
  constructor(candidates, options) {
    this.candidates = candidates;
    this.stats = new Map(candidates.map((c) => [c.candidate, emptyStats()]));
    this.samples = new Map(candidates.map((c) => [c.candidate, [c.latencyMs]]));
    this.candidatesComing = options.candidatesComing ?? false;
    this.stallTimeoutMs = options.stallTimeoutMs;
  }
  /** The candidates from now on, in chain order; what each did so far is kept. `final` false: more may come still. */
  useCandidates(candidates, final = true) {
    for (const c of candidates) {
      if (!this.stats.has(c.candidate)) this.stats.set(c.candidate, emptyStats());
      if (!this.samples.has(c.candidate)) this.samples.set(c.candidate, [c.latencyMs]);
    }
    this.candidates = candidates;
    this.candidatesComing = !final;
    for (const resume2 of this.waitingForCandidates.splice(0)) resume2();
  }
  /** The candidates in use, in chain order. */
  get current() {
    return this.candidates.map((c) => c.candidate);
  }
  /**
   * A request of `candidate`'s for a file of `kind` stalled (below the floor, overtaken before it
   * answered, or overtaken while its body was too slow), or, `served`, it served one: the streak
   * of that kind starts again.
   */
  streak(candidate, kind, served = false) {
    const stats = this.stats.get(candidate);
    let kinds = this.stallStreaks.get(candidate);
    if (!kinds) this.stallStreaks.set(candidate, kinds = /* @__PURE__ */ new Map());
    if (served) kinds.set(kind, 0);
    else {
      stats.stalls++;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    stats.stallStreak = Math.max(...kinds.values());
  }
  /**
   * One round for a file of `kind`: the first candidate is asked; when it fails, the next at once
   * (failover); when it is slow, the next beside it (a hedge): slower to answer than its usual
   * first byte by a clear margin, or, once the answer has started, its body slower than an eighth
   * of the candidate's usual rate (never below the floor) over a window. The first verified
   * answer wins and the others are cancelled. All saying 404/410 is an answer too. `onBody`: a
   * request's body is on disk, before it is verified.
   */
  race(kind, ask, ended, onBody) {
    const requests = [];
    const absent = [];
    const why = [];
    const next = () => this.order().find((c) => !requests.some((r) => r.candidate === c));
    let pending = 0;
    let done = false;
    return new Promise((resolve) => {
      const finish = (outcome, winner) => {
        if (done) return;
        done = true;
        this.unwatch(watch);
        for (const r of requests) {
          if (r.candidate === winner) {
            if (r.hedge) this.stats.get(r.candidate).hedgesWon++;
          } else {
            if (r.hedge && winner) this.stats.get(r.candidate).hedgesLost++;
            if (r.slowBody && !r.settled) this.streak(r.candidate, kind);
          }
          r.controller.abort();
        }
        resolve(outcome);
      };
      const launch = (hedge) => {
        if (done) return;
        const candidate = ended.aborted ? void 0 : next();
        if (!candidate) {
          if (pending > 0) return;
          if (this.candidatesComing && !ended.aborted) {
            const resume2 = () => launch(false);
            this.waitingForCandidates.push(resume2);
            return void ended.addEventListener("abort", resume2, { once: true });
          }
          if (absent.length > 0 && absent.length === requests.length) finish({ kind: "absent", status: absent[0] });
          else finish({ kind: "failed", why: ended.aborted ? String(ended.reason) : why.join("; ") || "no candidate to ask" });
          return;
        }
        const typicalMs = median(this.samples.get(candidate) ?? []) ?? 0;
        const asked = { candidate, controller: new AbortController(), hedge, settled: false, startedAt: performance.now(), typicalMs };
        requests.push(asked);
        pending++;
        ask(candidate, asked.controller.signal, stallWindowMs(typicalMs, this.stallTimeoutMs), {
          onHeaders: () => {
            const now = performance.now();
            asked.headersAt = now;
            asked.body = new Throughput(bodyHedgeWindowMs(typicalMs), now);
            keepRecent(this.samples, candidate, now - asked.startedAt);
          },
          onData: (bytes) => asked.body?.add(bytes, performance.now()),
          onBody: (size) => {
            const ms = performance.now() - (asked.headersAt ?? asked.startedAt);
            if (size >= RATE_SAMPLE_MIN_BYTES && ms > 0) keepRecent(this.rates, candidate, size * 1e3 / ms);
            onBody();
          }
        }).then((result) => {
          pending--;
          asked.settled = true;
          if (done && result.kind === "file") return result.release?.();
          if (result.kind === "file") return finish(result, candidate);
          if (result.kind === "absent") absent.push(result.status);
          else why.push(`${candidate.display}: ${result.why}`);
          launch(false);
        });
      };
      const watch = () => {
        const newest = requests.at(-1);
        if (done || !newest || newest.settled || !this.tooSlow(newest, performance.now()) || !next()) return;
        newest.slowBody = newest.body !== void 0;
        this.hedges++;
        launch(true);
      };
      launch(false);
      if (!done) this.watch(watch);
    });
  }
  /** Stops looking at the races under way (the fetch was closed: they end by their own signals). */
  close() {
    clearInterval(this.watchTimer);
  }
  /** Candidates in the order to ask them: those that showed trouble last. */
  order() {
    const all = this.current;
    const troubled = (c) => isTroubled(this.stats.get(c));
    return [...all.filter((c) => !troubled(c)), ...all.filter(troubled)];
  }
  /** Whether a request is slow enough to ask the next candidate beside it. */
  tooSlow(asked, now) {
    if (!asked.body) return now - asked.startedAt >= hedgeAfterMs(asked.typicalMs);
    return asked.body.below(slowBodyBytesPerSec(median(this.rates.get(asked.candidate) ?? [])), now);
  }
  watch(check) {
    this.watched.add(check);
    if (this.watchTimer) return;
    this.watchTimer = setInterval(() => {
      for (const each of this.watched) each();
    }, HEDGE_CHECK_MS);
    this.watchTimer.unref();
  }
  unwatch(check) {
    this.watched.delete(check);
    if (this.watched.size > 0) return;
    clearInterval(this.watchTimer);
    this.watchTimer = void 0;
  }
};
function keepRecent(samples2, candidate, value) {
  let list = samples2.get(candidate);
  if (!list) samples2.set(candidate, list = []);
  list.push(value);
  if (list.length > SAMPLE_WINDOW) list.shift();
}

// src/fetch/store.ts
import { randomBytes } from "node:crypto";
import { accessSync, constants as constants2, mkdirSync as mkdirSync2, renameSync as renameSync2 } from "node:fs";
import path3 from "node:path";

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

// src/module/vouched.ts
function knownFiles(lines, isPrivate) {
  const known = /* @__PURE__ */ new Map();
  for (const line of lines) {
    if (isPrivate(line.module)) continue;
    const add = (kind, hash) => {
      const path9 = downloadPath(line.module, line.version, kind);
      known.set(path9, { module: line.module, version: line.version, kind, path: path9, maxBytes: MAX_BYTES[kind], ...hash ? { hash } : {} });
    };
    if (line.goMod) add("mod", line.hash);
    else {
      add("zip", line.hash);
      add("info");
    }
  }
  return known;
}
function jobFor(known, request) {
  const found = known.get(request.path);
  if (found) return found;
  const version = "version" in request ? request.version : "";
  if (request.kind === "info") return { module: request.module, version, kind: "info", path: request.path, maxBytes: MAX_BYTES.info };
  return { module: request.module, version, kind: "other", path: request.path, maxBytes: MAX_BYTES[request.kind], transient: true };
}
var treePath = (module, version) => `${escapePath(module)}@${escapeVersion(version)}`;

// src/util/confined.ts
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { lstat, readdir, rmdir, unlink } from "node:fs/promises";
import path2 from "node:path";
import { isMainThread } from "node:worker_threads";
var O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
var O_DIRECTORY = constants.O_DIRECTORY ?? 0;
var O_NONBLOCK = constants.O_NONBLOCK ?? 0;
var DIRECTORY = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;
var READ_NO_FOLLOW = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
var CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;
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
function readableError(e) {
  const message = e instanceof Error ? e.message : String(e);
  if (!byDescriptor) return message;
  return message.replace(new RegExp(`/proc/${procPid}/fd/(\\d+)`, "g"), (found, fd) => shownByFd.get(Number(fd)) ?? found);
}
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
  if (byDescriptor && isMainThread && names.length > 0 && device === void 0) return openFromKept(root, names, create);
  return walk(new Dir(WINDOWS ? void 0 : openSync(root, constants.O_RDONLY | O_DIRECTORY), root), true, names, 0, create, void 0, device);
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
      const opened = openSync(root, constants.O_RDONLY | O_DIRECTORY);
      const name = kernelName(opened);
      if (!name || !keep(rootKey, opened, name)) return walk(new Dir(opened, root), true, names, 0, create);
      fd = opened;
    }
  }
  const rootName = kept.get(rootKey)?.name;
  const expected = (depth) => rootName && Buffer.concat([rootName, Buffer.from(`${rootName.at(-1) === 47 ? "" : "/"}${names.slice(0, depth).join("/")}`)]);
  return walk(new Dir(fd, path2.join(root, ...names.slice(0, from))), false, names, from, create, (depth, dir) => {
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
function takeKept(key2) {
  const entry = kept.get(key2);
  if (!entry) return void 0;
  kept.delete(key2);
  if (!kernelName(entry.fd)?.equals(entry.name)) {
    release(entry);
    return void 0;
  }
  kept.set(key2, entry);
  return entry.fd;
}
function keep(key2, fd, name) {
  if (!kernelName(fd)?.equals(name)) return false;
  const before = kept.get(key2);
  if (before) release(before);
  kept.delete(key2);
  const { dev, ino } = fstatSync(fd);
  kept.set(key2, { fd, name, dev, ino });
  if (kept.size > KEEP_AT_MOST) {
    const [oldest, entry] = kept.entries().next().value;
    kept.delete(oldest);
    release(entry);
  }
  return true;
}
function openChild(dir, name, create, rel, device) {
  const shown = path2.join(dir.shown, name);
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
function openDirIfThere(root, rel, device) {
  try {
    return openDir(root, rel, false, device);
  } catch (e) {
    if (e.code === "ENOENT") return void 0;
    throw e;
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
function readRegular(file2, maxBytes) {
  return readOpened(openRegular(file2), maxBytes);
}
function openBelow(root, rel, device) {
  const at = openDir(root, path2.posix.dirname(rel), false, device);
  try {
    return openRegular(at.entry(path2.posix.basename(rel)));
  } finally {
    at.close();
  }
}
function readBelow(root, rel, maxBytes, device) {
  return readOpened(openBelow(root, rel, device), maxBytes);
}
function readOpened(fd, maxBytes) {
  try {
    const { size } = fstatSync(fd);
    if (size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    const buffer = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buffer, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buffer.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}
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
async function removeEntry(dir, name) {
  const target = dir.entry(name);
  const stats = await lstat(target).catch(() => void 0);
  if (!stats) return;
  const inner = stats.isDirectory() ? openDirAt(target, path2.join(dir.shown, name)) : void 0;
  if (!inner) return unlink(target).catch(ignoreGone);
  try {
    if ((stats.mode & 448) !== 448) inner.chmod(stats.mode | 448);
    for (const child of await readdir(inner.path)) await removeEntry(inner, child);
  } finally {
    inner.close();
  }
  await rmdir(target).catch(ignoreGone);
}
function ignoreGone(e) {
  if (e.code !== "ENOENT") throw e;
}
function writeReplacing(dir, name, text2, temp) {
  try {
    const fd = openSync(dir.entry(temp), CREATE_NEW, 438);
    try {
      writeSync(fd, text2);
    } finally {
      closeSync(fd);
    }
    renameSync(dir.entry(temp), dir.entry(name));
  } catch (e) {
    unlinkEntry(dir, temp);
    throw e;
  }
}
function unlinkEntry(dir, name) {
  try {
    unlinkSync(dir.entry(name));
  } catch (e) {
    ignoreGone(e);
  }
}

// src/go/go-lock.ts
import { spawn as spawn2 } from "node:child_process";
import os from "node:os";
import { createInterface } from "node:readline";
var SCRIPT = String.raw`
use strict; use Fcntl qw(:flock :DEFAULT);
$| = 1; my (%want, %held); my $buf = '';
while (1) {
  my $rin = ''; vec($rin, fileno(STDIN), 1) = 1;
  if (select(my $rout = $rin, undef, undef, %want ? 0.01 : undef) > 0) {
    my $got = sysread(STDIN, $buf, 65536, length $buf);
    exit 0 unless $got;
    while ($buf =~ s/^(\w) (\d+) ?([0-9a-f]*)\n//) {
      my ($op, $id, $hex) = ($1, $2, $3);
      if ($op ne 'L') { delete $want{$id}; delete $held{$id}; next }
      if (!sysopen(my $fh, pack('H*', $hex), O_RDWR|O_CREAT|O_NOFOLLOW|O_NONBLOCK, 0666)) { print "$id refused ", $!+0, " $!\n" }
      elsif (!-f $fh) { print "$id refused 0 not a regular file\n" }
      else { $want{$id} = $fh }
    }
  }
  for my $id (keys %want) {
    if (flock($want{$id}, LOCK_EX|LOCK_NB)) { $held{$id} = delete $want{$id}; print "$id locked\n" }
  }
}`;
var IDLE_MS = 2e3;
var ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, number]) => [number, name]));
var helper;
var nextId = 0;
function start() {
  const child = spawn2("perl", ["-e", SCRIPT], { stdio: ["pipe", "pipe", "ignore"], env: { PATH: process.env.PATH ?? "" }, windowsHide: true });
  const started = { child, answers: /* @__PURE__ */ new Map(), busy: 0 };
  const lost = (why) => {
    started.gone ??= why;
    for (const answer2 of started.answers.values()) answer2(`unavailable ${why}`);
    started.answers.clear();
  };
  child.on("error", (e) => lost(`perl could not start (${e.code ?? e.message})`));
  child.on("exit", (code) => lost(`perl ended (${code})`));
  child.stdin?.on("error", () => lost("perl ended"));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const [id, ...answer2] = line.split(" ");
    const waiting = started.answers.get(Number(id));
    started.answers.delete(Number(id));
    waiting?.(answer2.join(" "));
  });
  child.unref();
  for (const stream of [child.stdin, child.stdout]) stream?.unref?.();
  return started;
}
function account(used, change) {
  used.busy += change;
  clearTimeout(used.idle);
  if (used.busy > 0) return;
  used.idle = setTimeout(() => {
    if (used.busy > 0) return;
    if (helper === used) helper = void 0;
    used.child.stdin?.end();
  }, IDLE_MS).unref();
}
function takeGoLock(file2, boundMs, signal) {
  if (process.platform === "win32") return Promise.resolve({ kind: "unavailable", why: "go locks with LockFileEx on Windows" });
  if (signal?.aborted) return Promise.resolve({ kind: "busy" });
  helper ??= start();
  const used = helper;
  if (used.gone) return Promise.resolve({ kind: "unavailable", why: used.gone });
  const id = nextId++;
  const send = (line) => {
    if (!used.gone) used.child.stdin?.write(`${line}
`);
  };
  account(used, 1);
  return new Promise((resolve) => {
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", giveUp);
      if (result.kind !== "held") account(used, -1);
      resolve(result);
    };
    const giveUp = () => {
      used.answers.delete(id);
      send(`U ${id}`);
      finish({ kind: "busy" });
    };
    const timer = setTimeout(giveUp, boundMs);
    signal?.addEventListener("abort", giveUp, { once: true });
    used.answers.set(id, (answer2) => {
      let released = false;
      const release2 = () => {
        if (released) return;
        released = true;
        send(`U ${id}`);
        account(used, -1);
      };
      if (answer2 === "locked") finish({ kind: "held", release: release2 });
      else if (answer2.startsWith("refused ")) {
        const [, errno, ...why] = answer2.split(" ");
        const code = ERRNO_NAMES.get(Number(errno));
        finish({ kind: "refused", why: why.join(" "), ...code ? { code } : {} });
      } else finish({ kind: "unavailable", why: answer2.slice("unavailable ".length) });
    });
    send(`L ${id} ${Buffer.from(file2).toString("hex")}`);
  });
}

// src/fetch/store.ts
var Store = class {
  options;
  /** Temporary entries not yet renamed or removed, by directory (relative to root) and name: what a cancelled step removes. */
  temporary = /* @__PURE__ */ new Set();
  rootMade = false;
  constructor(options) {
    this.options = options;
  }
  /** The file of `job`, when the store holds it whole (a zip whole with its .ziphash): regular files, reached without a link. */
  stored(job) {
    const { dir, name } = this.place(job);
    let at;
    try {
      at = openDirIfThere(this.options.root, dir);
    } catch {
      return void 0;
    }
    if (!at) return void 0;
    try {
      if (job.kind === "zip" && !lstatOf(at.entry(`${name}hash`))?.isFile()) return void 0;
      const stats = lstatOf(at.entry(name));
      return stats?.isFile() ? { file: this.shown(job), size: stats.size, open: () => this.open(job) } : void 0;
    } finally {
      at.close();
    }
  }
  /** The stored file of `job` opened for reading: each directory on its way walked without a link, the file itself refused unless regular (never blocking). */
  open(job) {
    const { dir, name } = this.place(job);
    return openBelow(this.options.root, path3.posix.join(dir, name));
  }
  /** The stored file of `job` (a go.mod the planner reads), never through a link, at most `maxBytes`. */
  read(job, maxBytes) {
    const { dir, name } = this.place(job);
    return readBelow(this.options.root, path3.posix.join(dir, name), maxBytes);
  }
  /** Starts a download of `job`: its directory made (a link in the way removed), a new name for its bytes, and a new directory for a zip's files when `extract`. */
  begin(job, extract) {
    const { dir, name } = this.place(job);
    const at = this.openMade(dir);
    const temp = `${name}.${uniqueSuffix()}.partial`;
    this.track(dir, temp);
    const tree = extract && this.options.extract && job.hash ? this.treeTarget(job) : void 0;
    if (tree) {
      this.track(tree.parent, tree.name);
      this.openMade(tree.parent).close();
    }
    let kept2 = false;
    let placed = false;
    return {
      temp: at.entry(temp),
      ...tree ? { tree } : {},
      keep: async (dirs, signals) => {
        const whole = tree !== void 0 && dirs !== void 0;
        const lock = whole ? await this.lock(at, name, signals) : void 0;
        try {
          placed = whole && lock !== void 0 && lock !== "busy" && this.placeTree(job, tree, dirs, at, name);
          renameSync2(at.entry(temp), at.entry(name));
          kept2 = true;
          this.temporary.delete(key(dir, temp));
          if (job.kind === "zip" && job.hash) this.writeNew(at, dir, `${name}hash`, job.hash);
        } finally {
          if (typeof lock === "function") lock();
        }
        return { file: this.shown(job), placed, open: () => this.open(job) };
      },
      end: async () => {
        try {
          if (!kept2) unlinkEntry(at, temp);
          this.temporary.delete(key(dir, temp));
          if (tree && !placed) await this.removeIn(tree.parent, tree.name).catch(() => void 0);
        } finally {
          at.close();
        }
      }
    };
  }
  /** Removes every temporary entry still there: a cancelled step leaves none. */
  async clear() {
    const left = [...this.temporary];
    this.temporary.clear();
    await Promise.all(
      left.map((entry) => {
        const [dir, name] = JSON.parse(entry);
        return this.removeIn(dir, name).catch(() => void 0);
      })
    );
  }
  /** The job's directory (relative to root) and file name. */
  place(job) {
    return { dir: path3.posix.join(this.options.downloads, path3.posix.dirname(job.path)), name: path3.posix.basename(job.path) };
  }
  /** The path the file is known by (to serve it): as a person reads it. */
  shown(job) {
    return path3.join(this.options.root, this.options.downloads, job.path);
  }
  /** Where go extracts the job's module (`<escaped module>@<escaped version>`, beside the download cache), and a new directory beside it to write into first, named as go names its own leftovers (`<dir>.tmp-*`), which go removes when it extracts the module itself. */
  treeTarget(job) {
    const final = treePath(job.module, job.version);
    return { root: this.options.root, parent: path3.posix.dirname(final), name: `${path3.posix.basename(final)}.tmp-${uniqueSuffix()}`, prefix: `${job.module}@${job.version}/` };
  }
  /**
   * go's lock on the module version: a release function, `undefined` when no lock can be taken
   * here (no perl, Windows), or `busy` when another process held it past the bound. When go
   * itself waits for this zip, it holds the lock for us: `goAsked` aborts, and that is as good.
   */
  async lock(at, name, { goAsked, stop: stop2 }) {
    if (goAsked.aborted) return "go holds it";
    const file2 = `${name.replace(/\.zip$/, "")}.lock`;
    const locked = await takeGoLock(at.entry(file2), LOCK_WAIT_MS, AbortSignal.any([goAsked, stop2]));
    if (locked.kind === "held") return locked.release;
    if (locked.kind === "busy") return goAsked.aborted ? "go holds it" : "busy";
    if (locked.kind === "refused") {
      if (kindOf(at.entry(file2)) !== "a file") await removeEntry(at, file2);
      return "busy";
    }
    return void 0;
  }
  /**
   * Moves a verified module's files into place, made read-only as go makes them unless they
   * stay writable. False when go's `.partial` marker is there (another go was extracting it),
   * or the module's directory is there already (another request's, or go's): that one stays.
   */
  placeTree(job, tree, dirs, download, name) {
    if (kindOf(download.entry(`${name.replace(/\.zip$/, "")}.partial`)) !== void 0) return false;
    let parent;
    try {
      parent = openDir(this.options.root, tree.parent);
    } catch {
      return false;
    }
    const final = path3.posix.basename(treePath(job.module, job.version));
    try {
      try {
        renameSync2(parent.entry(tree.name), parent.entry(final));
      } catch {
        return false;
      }
      this.temporary.delete(key(tree.parent, tree.name));
      if (!(this.options.extract?.writable ?? true)) {
        for (const dir of dirs) {
          const opened = openDirAt(parent.entry(dir === "" ? final : `${final}/${dir}`));
          if (!opened) continue;
          try {
            opened.chmod(opened.mode() & ~146);
          } finally {
            opened.close();
          }
        }
      }
      return true;
    } finally {
      parent.close();
    }
  }
  /** Whether files can be kept here: their directory made (a link in the way removed), and writable. */
  writable() {
    try {
      const at = this.openMade(this.options.downloads);
      try {
        accessSync(at.path, constants2.W_OK);
        return true;
      } finally {
        at.close();
      }
    } catch {
      return false;
    }
  }
  /** The directory `dir` under root, made where missing; a link, file or anything else in the way is removed (never followed) and a directory made instead. */
  openMade(dir) {
    if (!this.rootMade) {
      mkdirSync2(this.options.root, { recursive: true });
      this.rootMade = true;
    }
    for (let tries = 0; ; tries++) {
      try {
        return openDir(this.options.root, dir, true);
      } catch (e) {
        if (!(e instanceof NotADirectory) || tries > 8) throw e;
        const parent = openDir(this.options.root, path3.posix.dirname(e.rel));
        try {
          unlinkEntry(parent, path3.posix.basename(e.rel));
        } finally {
          parent.close();
        }
      }
    }
  }
  /** Writes `text` as the file `name`, replacing (never writing into) what is there. */
  writeNew(at, dir, name, text2) {
    const temp = `${name}.${uniqueSuffix()}.partial`;
    this.track(dir, temp);
    try {
      writeReplacing(at, name, text2, temp);
    } finally {
      this.temporary.delete(key(dir, temp));
    }
  }
  track(dir, name) {
    this.temporary.add(key(dir, name));
  }
  async removeIn(dir, name) {
    let at;
    try {
      at = openDirIfThere(this.options.root, dir);
    } catch {
      return;
    }
    if (!at) return;
    try {
      await removeEntry(at, name);
    } finally {
      at.close();
    }
  }
};
var key = (dir, name) => JSON.stringify([dir, name]);
var uniqueSuffix = () => `${RUN}-${(named++).toString(36)}`;
var RUN = randomBytes(6).toString("hex");
var named = 0;

// src/fetch/zip-hash.ts
import { createHash as createHash2 } from "node:crypto";
import { closeSync as closeSync3, fstatSync as fstatSync2 } from "node:fs";
import * as zlib from "node:zlib";

// src/module/gosum.ts
import { createHash } from "node:crypto";
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
function goModHashOfSha256(sha256Hex) {
  return hash1([{ name: Buffer.from("go.mod"), sha256Hex }]);
}
function goModHash(content) {
  return goModHashOfSha256(createHash("sha256").update(content).digest("hex"));
}

// src/fetch/inflater.ts
import { randomBytes as randomBytes2 } from "node:crypto";
import { constants as constants3, createInflateRaw, deflateRawSync, inflateRawSync } from "node:zlib";

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
  echo: (text2) => current.echo(text2),
  warning: (line) => current.warning(line),
  group: (name, work) => current.group(name, work),
  secret: (value) => current.secret(value),
  progress: (progress) => current.progress(progress)
};

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
    writeSync: (flush, input, inOffset, inLength, output2, outOffset, outLength) => {
      if (how === "throw") throw new Error("the handle refused the write");
      handle.writeSync(flush, input, inOffset, inLength, output2, outOffset, outLength);
      output2[outOffset] = output2[outOffset] ^ 1;
    }
  };
}
function samples() {
  const noise = randomBytes2(PIECE + 4096);
  const text2 = Buffer.from("func f(x int) int { return x * 2 } // a line of source\n".repeat(Math.ceil(PIECE / 100)));
  return [deflateRawSync(noise, { level: 0 }), deflateRawSync(Buffer.concat([text2, noise.subarray(0, 8192), text2, text2]), { level: 1 })];
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
  inflateFile(fd, start2, length, limit, take) {
    const engine2 = this.engine();
    if (!engine2) {
      this.inflate(readAt(fd, start2, length), limit, take);
      return;
    }
    engine2.handle.reset();
    const output2 = { produced: 0, limit };
    for (let done = 0; done < length && output2.produced <= limit; ) {
      const piece = readAt(fd, start2 + done, Math.min(PIECE, length - done), false, this.input);
      done += piece.length;
      this.feed(engine2, piece, piece.length, done === length, output2, take);
    }
  }
  /** Inflates `input`'s first `length` bytes until they are used up (or the output passes its limit). */
  feed(engine2, input, length, last, output2, take) {
    const flush = last ? constants3.Z_FINISH : constants3.Z_NO_FLUSH;
    for (let at = 0; output2.produced <= output2.limit; ) {
      engine2.handle.writeSync(flush, input, at, length - at, this.output, 0, PIECE);
      if (engine2.stream.destroyed) {
        this.current = void 0;
        throw new Error("invalid deflate data");
      }
      const outputLeft = engine2.state[0];
      if (outputLeft < PIECE) {
        output2.produced += PIECE - outputLeft;
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
        const output2 = { produced: 0, limit: expected.length };
        engine2.handle.reset();
        for (let done = 0; done < raw.length; ) {
          const piece = raw.subarray(done, done + pieceSize);
          done += piece.length;
          this.feed(engine2, piece, piece.length, done === raw.length, output2, (got) => out.push(Buffer.from(got)));
        }
        if (!Buffer.concat(out).equals(expected)) return "it inflated a sample unlike inflateRawSync";
      }
    }
    return void 0;
  }
};

// src/fetch/zip-extract.ts
import { closeSync as closeSync2, mkdirSync as mkdirSync3, openSync as openSync2, writeSync as writeSync2 } from "node:fs";
import path4 from "node:path";
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
        mkdirSync3(parent.entry(target.name), 511);
        this.root = openDirAt(parent.entry(target.name), path4.join(parent.shown, target.name));
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
      const parent = path4.posix.dirname(rel);
      const root = this.root;
      if (parent !== "." && !this.made.has(parent)) {
        mkdirSync3(root.entry(parent), { recursive: true, mode: 511 });
        for (let p = parent; p !== "." && !this.made.has(p); p = path4.posix.dirname(p)) this.made.add(p);
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
    if (fd !== void 0) this.attempt(() => closeSync2(fd));
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
          closeSync2(fd);
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
  const hash = createHash2("sha256");
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
  const start2 = localOffset + dataAt;
  if (compressedSize > 0) {
    if (small) {
      const raw = dataAt + compressedSize <= head.length ? head.subarray(dataAt, dataAt + compressedSize) : readAt(fd, start2, compressedSize);
      if (method === 8) inflater.inflate(raw, expected, take);
      else take(raw);
    } else if (method === 8) {
      inflater.inflateFile(fd, start2, compressedSize, expected, take);
    } else {
      for (let done = 0; done < compressedSize; ) {
        const piece = readAt(fd, start2 + done, Math.min(SMALL_ENTRY, compressedSize - done), false, scratch);
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
      const descriptor = small && descriptorAt + 16 <= head.length ? head.subarray(descriptorAt, descriptorAt + 16) : readAt(fd, start2 + compressedSize, 16, true);
      const signed = descriptor.length >= 4 && descriptor.readUInt32LE(0) === DATA_DESCRIPTOR;
      if (descriptor.length < (signed ? 16 : 12) || descriptor.readUInt32LE(signed ? 4 : 0) !== want) throw new Error(`${nameOf(dir, i).toString()} has no data descriptor that agrees with the zip's directory`);
      if (crc !== want) throw new Error(`${nameOf(dir, i).toString()} fails its CRC-32 check`);
    } else if (want !== 0 && crc !== want) throw new Error(`${nameOf(dir, i).toString()} fails its CRC-32 check`);
  }
  hash.digest().copy(digests, i * 32);
}
function zipFileHash(file2) {
  return hashZip(file2).hash;
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
    closeSync3(fd);
    out?.end();
  }
}

// src/module/matches.ts
async function verify(job, file2, hashZip2 = zipFileHash) {
  try {
    if (job.kind === "other") return void 0;
    if (job.kind === "mod") return job.hash === void 0 || goModHash(readRegular(file2, job.maxBytes)) === job.hash ? void 0 : "go.mod does not match go.sum";
    if (job.kind === "zip") return job.hash === void 0 || await hashZip2(file2) === job.hash ? void 0 : "zip does not match go.sum";
    const info = JSON.parse(readRegular(file2, job.maxBytes).toString("utf8"));
    return info.Version === job.version ? void 0 : `.info names ${String(info.Version)}, not ${job.version}`;
  } catch (e) {
    return `${job.kind} unreadable: ${readableError(e)}`;
  }
}

// src/fetch/hashers.ts
import { Worker } from "node:worker_threads";

// src/util/trace.ts
import { writeFileSync } from "node:fs";
import { isMainThread as isMainThread2 } from "node:worker_threads";
var TRACE_ENV = "GO_MOD_DOWNLOAD_TRACE";
var file = isMainThread2 ? process.env[TRACE_ENV] || void 0 : void 0;
if (file) delete process.env[TRACE_ENV];
var tracing = file !== void 0;
var spans = [];
var threads = /* @__PURE__ */ new Map();
function traceSpan(name, start2, end = performance.now()) {
  if (tracing) spans.push({ name, start: start2, end });
}
function threadCpu() {
  return process.threadCpuUsage?.() ?? process.cpuUsage();
}
function traceThreadCpu(thread, cpu) {
  if (tracing) threads.set(thread, { thread, ...cpu });
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

// src/fetch/hash-worker.ts
import { parentPort, workerData } from "node:worker_threads";

// src/fetch/tree-hash.ts
import { createHash as createHash3 } from "node:crypto";
import { closeSync as closeSync4, readSync as readSync3, readdirSync } from "node:fs";
var CHUNK = 1 << 20;
function fileSha256(fd, buffer) {
  const hash = createHash3("sha256");
  try {
    for (let n; (n = readSync3(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync4(fd);
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
    let answer2;
    try {
      answer2 = await hashOf(task);
    } catch (e) {
      answer2 = { error: e.message };
    }
    if (fallback) answer2.fallback = fallback;
    fallback = void 0;
    if (reportCpu) answer2.cpu = threadCpu();
    parentPort?.postMessage(answer2);
  });
});

// src/fetch/hashers.ts
var WORKER = new URL(import.meta.url.endsWith(".ts") ? "./hash-worker.ts" : "./hash-worker.js", import.meta.url);
var DEPTH = 2;
var ABANDONED = "hashing was abandoned";
var Hashers = class {
  slots = [];
  queue = [];
  broken = false;
  abandoned = false;
  threads;
  /** When traced: when the first task was posted to a thread, and the last answered. */
  firstPosted;
  lastAnswered = 0;
  /** `threads`: how many worker threads at most, started as work arrives. */
  constructor(threads2 = 1) {
    this.threads = threads2;
  }
  /** Whether hashing runs off the main thread (false once a thread failed). */
  get threaded() {
    return !this.broken && this.slots.length > 0;
  }
  /** The h1: hash of the zip at `file`; rejects when the zip is broken. */
  async zip(file2, precedence = {}) {
    return (await this.run({ zip: file2 }, precedence)).hash;
  }
  /** The zip's h1: hash, its files written under `into.dir` on the way unless go's checks might refuse it (zip-hash.ts). */
  zipInto(file2, into, precedence = {}) {
    return this.run({ zip: file2, into }, precedence);
  }
  /** The waiting task for the zip at `file`, if any, goes before all but those already urgent. */
  hurry(file2) {
    const job = this.queue.find((j) => "zip" in j.task && j.task.zip === file2);
    if (job) job.precedence.urgent = true;
  }
  /** The h1: hash of the extracted module tree at `dir`, as `go mod verify` computes it; `prefix` is `<module>@<version>`. */
  async tree(dir, prefix) {
    return (await this.run({ tree: dir, prefix })).hash;
  }
  run(task, precedence = {}) {
    if (this.abandoned) return Promise.reject(new Error(ABANDONED));
    if (this.broken) return hashOf(task);
    return new Promise((resolve, reject) => {
      this.queue.push({ task, precedence: { size: precedence.size ?? 0, urgent: precedence.urgent ?? false }, resolve, reject });
      this.dispatch();
    });
  }
  /** Ends the threads; tasks still waiting, or being hashed, are hashed on the main thread: no caller is left waiting. */
  async close() {
    this.traceSpan();
    this.broken = true;
    const slots = this.slots.splice(0);
    for (const slot of slots) this.takeBack(slot);
    this.drainToMainThread();
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }
  /** Ends the threads without hashing what is left (past a deadline, or when the step is cancelled): every task waiting or under way is rejected. */
  async abandon() {
    this.traceSpan();
    this.abandoned = true;
    this.broken = true;
    const slots = this.slots.splice(0);
    const jobs = [...this.queue.splice(0), ...slots.flatMap((slot) => slot.jobs.splice(0))];
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    for (const job of jobs) job.reject(new Error(ABANDONED));
  }
  dispatch() {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.jobs.length === 0) ?? this.spawn() ?? this.slots.find((s) => s.jobs.length < DEPTH);
      if (!slot) return;
      const job = this.queue.splice(nextIndex(this.queue), 1)[0];
      slot.jobs.push(job);
      slot.worker.ref();
      if (tracing) this.firstPosted ??= performance.now();
      slot.worker.postMessage(job.task);
    }
  }
  spawn() {
    if (this.slots.length >= this.threads) return void 0;
    const slot = {
      worker: new Worker(WORKER, { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 48 }, workerData: { reportCpu: tracing } }),
      jobs: []
    };
    const thread = `hashing thread ${slot.worker.threadId}`;
    slot.worker.on("message", (answer2) => {
      if (answer2.fallback) warnFallback(answer2.fallback);
      if (answer2.cpu) {
        traceThreadCpu(thread, answer2.cpu);
        this.lastAnswered = performance.now();
      }
      const job = slot.jobs.shift();
      if (!job) return;
      if (slot.jobs.length === 0) slot.worker.unref();
      if ("hash" in answer2) job.resolve(answer2);
      else job.reject(new Error(answer2.error));
      this.dispatch();
    });
    const lost = () => {
      this.broken = true;
      this.takeBack(slot);
      this.drainToMainThread();
    };
    slot.worker.on("error", lost);
    slot.worker.on("exit", lost);
    this.slots.push(slot);
    return slot;
  }
  /** For the trace: from the first task posted to a thread to the last answer. */
  traceSpan() {
    if (this.firstPosted !== void 0) traceSpan("hashing in threads", this.firstPosted, this.lastAnswered);
    this.firstPosted = void 0;
  }
  takeBack(slot) {
    this.queue.unshift(...slot.jobs.splice(0));
  }
  /** Hashes what waits on the main thread, one task at a time, letting other work run between them: each is synchronous. */
  drainToMainThread() {
    const jobs = this.queue.splice(0);
    const next = () => {
      const job = jobs.shift();
      if (job) hashOf(job.task).then(job.resolve, job.reject).finally(() => setImmediate(next));
    };
    next();
  }
};
function nextIndex(queue) {
  let best = 0;
  for (let i = 1; i < queue.length; i++) {
    const a = queue[i].precedence;
    const b = queue[best].precedence;
    if (a.urgent !== b.urgent ? a.urgent : a.size > b.size) best = i;
  }
  return best;
}

// src/fetch/verifier.ts
var Verifier = class {
  hashers;
  /** Files go waits for (by path): their zips are hashed before the speculative ones. */
  urgent = /* @__PURE__ */ new Set();
  /** Aborted once go waits for the file at a path. */
  goAsked = /* @__PURE__ */ new Map();
  /** The zip on disk that waits to be hashed (or is being hashed) for each file path. */
  hashing = /* @__PURE__ */ new Map();
  /** `hashThreads`: threads that hash (and write out) zips; one unless given. */
  constructor(hashThreads) {
    this.hashers = new Hashers(hashThreads);
  }
  /** go waits for the file at `jobPath`, fetched for it, until done(). */
  goWaitsFor(jobPath) {
    this.urgent.add(jobPath);
  }
  /** go waits now for the file at `jobPath`, fetched speculatively: if its zip waits to be hashed, it goes first. */
  hurry(jobPath) {
    this.urgent.add(jobPath);
    this.goAsked.get(jobPath)?.abort();
    const zip = this.hashing.get(jobPath);
    if (zip) this.hashers.hurry(zip);
  }
  /** The fetch of the file at `jobPath` is over. */
  done(jobPath) {
    this.urgent.delete(jobPath);
    this.goAsked.delete(jobPath);
  }
  /**
   * Why the file at `temp`, `size` bytes, is not what `job` says (undefined: it is), and, for a
   * zip written out under `tree` on the way, the directories made (zip-hash.ts).
   */
  async check(job, temp, size, tree) {
    let dirs;
    const problem = await verify(job, temp, async (zip) => {
      this.hashing.set(job.path, zip);
      const precedence = { size, urgent: this.urgent.has(job.path) };
      try {
        if (!tree) return await this.hashers.zip(zip, precedence);
        const hashed = await this.hashers.zipInto(zip, tree, precedence);
        dirs = hashed.dirs;
        return hashed.hash;
      } finally {
        if (this.hashing.get(job.path) === zip) this.hashing.delete(job.path);
      }
    });
    return { ...problem ? { problem } : {}, ...dirs ? { dirs } : {} };
  }
  /** Aborted once go waits for the file at `jobPath` (at once if it does already). */
  goAskedFor(jobPath) {
    let asked = this.goAsked.get(jobPath);
    if (!asked) {
      asked = new AbortController();
      this.goAsked.set(jobPath, asked);
      if (this.urgent.has(jobPath)) asked.abort();
    }
    return asked.signal;
  }
  /** Ends the hashing threads; whatever waits to be hashed is rejected. */
  abandon() {
    return this.hashers.abandon();
  }
};

// src/fetch/fetcher.ts
var ONE_OFF_BUDGET_BYTES = 1 << 30;
var Fetcher = class {
  /** Bytes received from candidates so far: progress, whatever finishes. */
  bytes = 0;
  /** Files fetched, verified and kept, and the zips among them. */
  files = 0;
  zips = 0;
  retries = 0;
  rejected = 0;
  /** Zips whose files were written out for go (it then skips their extraction). */
  extracted = 0;
  options;
  races;
  verifier;
  inFlight = /* @__PURE__ */ new Map();
  stop = new AbortController();
  store;
  transient;
  /** Bytes the one-off files hold on disk now (under way, or kept until released). */
  oneOffBytes = 0;
  oneOffBudget;
  forgetCleanup;
  constructor(options) {
    this.options = options;
    this.races = new CandidateRaces(options.candidates, options);
    this.verifier = new Verifier(options.hashThreads);
    this.store = options.store;
    this.transient = new Store({ root: options.transientDir, downloads: "" });
    this.oneOffBudget = options.oneOffBudgetBytes ?? ONE_OFF_BUDGET_BYTES;
    this.forgetCleanup = cleanUpOnCancel(() => this.close());
  }
  /** What each candidate did so far. */
  get stats() {
    return this.races.stats;
  }
  /** Requests asked beside a slow one. */
  get hedges() {
    return this.races.hedges;
  }
  /**
   * The healthy candidates once the probe is over (the fetch may start as soon as one answered):
   * requests from now on ask them in this order; what each did so far is kept. `final` false:
   * more may come still.
   */
  useCandidates(candidates, final = true) {
    this.races.useCandidates(candidates, final);
  }
  /** The candidates in use, in chain order. */
  get current() {
    return this.races.current;
  }
  /** Why a one-off request was refused, or given up. */
  overBudget() {
    return `busy: the files fetched here for one request already hold ${formatSize(this.oneOffBudget)} of disk, the most they may`;
  }
  /**
   * A file: from the store, joined with a fetch under way, or fetched now. A `speculative` caller
   * (the fetch of go's download set) is told by `onFetched` when the bytes are on disk, or the
   * fetch is over, so that it can start the next request while this one is verified; anyone
   * else is go, waiting: what it asks for is hashed first. `signal` ends a fetch for one request
   * (a transient job) early; a file others may join is fetched to the end whatever it says.
   */
  get(job, use = {}) {
    const urgent = !use.speculative;
    const halt = new AbortController();
    if (job.transient) return this.fetch(job, this.transient, urgent, use.signal ? AbortSignal.any([halt.signal, use.signal]) : halt.signal, use.onFetched);
    const running = this.inFlight.get(job.path);
    if (running) {
      use.onFetched?.();
      if (urgent) {
        running.urgent = true;
        this.verifier.hurry(job.path);
      }
      return running.outcome;
    }
    const stored = this.store.stored(job);
    if (stored) use.onFetched?.();
    const entry = {
      outcome: (stored ? Promise.resolve({ kind: "file", ...stored }) : this.fetch(job, this.store, urgent, halt.signal, use.onFetched)).finally(() => {
        if (this.inFlight.get(job.path) === entry) this.inFlight.delete(job.path);
      }),
      halt,
      urgent
    };
    this.inFlight.set(job.path, entry);
    return entry.outcome;
  }
  /**
   * Gives up the fetches go was waiting for: called when the watchdog ended go's attempt, which
   * made no useful progress, so these did not either. The next attempt's requests start anew
   * (with what the fetch learned of each candidate meanwhile) instead of joining them.
   */
  abandon() {
    let abandoned = 0;
    for (const [jobPath, running] of this.inFlight) {
      if (!running.urgent) continue;
      this.inFlight.delete(jobPath);
      running.halt.abort("abandoned: the attempt that waited for it made no progress");
      abandoned++;
    }
    return abandoned;
  }
  /** Ends every request under way, and removes what they left half-done; later calls fail at once. */
  async close() {
    this.forgetCleanup();
    this.stop.abort("the fetch was closed");
    this.races.close();
    await this.verifier.abandon();
    await Promise.all([this.store.clear(), this.transient.clear()]);
    this.oneOffBytes = 0;
  }
  /**
   * Rounds over the candidates (a race each), driven by p-retry: a round that found no candidate
   * able to serve the file is retried after a backoff, up to `rounds` in all. `halt` ends it
   * early (abandoned), as does the fetch's close.
   */
  async fetch(job, store, urgent, halt, onFetched = () => {
  }) {
    let fetched = false;
    const once2 = () => {
      if (!fetched) onFetched();
      fetched = true;
    };
    if (urgent) this.verifier.goWaitsFor(job.path);
    const late = this.options.fileTimeoutMs ? deadline(this.options.fileTimeoutMs, job.path) : void 0;
    const ended = AbortSignal.any([halt, this.stop.signal, ...late ? [late.signal] : []]);
    let last = { kind: "failed", why: "no candidate to ask" };
    try {
      return await pRetry(
        async () => {
          last = await this.races.race(job.kind, (candidate, own, windowMs, events) => this.requestOne(candidate, job, store, own, ended, windowMs, events), ended, once2);
          if (last.kind === "failed") throw new RoundFailed(last.why);
          return last;
        },
        {
          retries: this.options.rounds - 1,
          ...backoff(this.options.backoffMs),
          signal: ended,
          unref: true,
          onFailedAttempt: ({ retriesLeft }) => {
            if (retriesLeft > 0) this.retries++;
          }
        }
      );
    } catch {
      const got = last;
      if (got.kind === "file") return got;
      return ended.aborted ? { kind: "failed", why: String(ended.reason) } : last;
    } finally {
      late?.clear();
      this.verifier.done(job.path);
      once2();
    }
  }
  /**
   * One candidate asked for one file: streamed to a partial file, verified, kept. `own` ends it
   * when another request of its race won; `ended` when the fetch was closed or abandoned.
   */
  async requestOne(candidate, job, store, own, ended, windowMs, events) {
    const stats = this.stats.get(candidate);
    let answered = false;
    stats.requests++;
    let pending;
    const oneOff = store === this.transient;
    const over = new AbortController();
    let counted = 0;
    let handedOn = false;
    try {
      pending = oneOff ? store.begin({ ...job, path: randomBytes3(8).toString("hex") }, false) : store.begin(job, job.kind === "zip");
      const { temp, tree } = pending;
      const answer2 = await this.options.client.download(requestUrl(candidate, job.path), temp, {
        signal: AbortSignal.any([own, ended, over.signal]),
        maxBytes: job.maxBytes,
        floor: { bytesPerSec: FLOOR_BYTES_PER_SEC, windowMs },
        onHeaders: () => {
          answered = true;
          events.onHeaders();
        },
        onData: (bytes) => {
          this.bytes += bytes;
          stats.bytes += bytes;
          events.onData(bytes);
          if (!oneOff) return;
          counted += bytes;
          this.oneOffBytes += bytes;
          if (this.oneOffBytes > this.oneOffBudget) over.abort(this.overBudget());
        }
      });
      if (isAbsent(answer2.status)) {
        stats.notFound++;
        return { kind: "absent", status: answer2.status };
      }
      if (answer2.status !== 200) {
        stats.failures++;
        return { kind: "failed", why: `HTTP ${answer2.status}` };
      }
      events.onBody(answer2.size);
      const { problem, dirs } = await this.verifier.check(job, temp, answer2.size, tree);
      if (problem) {
        if (!this.stop.signal.aborted) {
          stats.rejected++;
          this.rejected++;
        }
        return { kind: "failed", why: problem };
      }
      const kept2 = await pending.keep(dirs, { goAsked: this.verifier.goAskedFor(job.path), stop: ended });
      if (kept2.placed) this.extracted++;
      stats.served++;
      this.races.streak(candidate, job.kind, true);
      this.files++;
      if (job.kind === "zip") this.zips++;
      if (!oneOff) return { kind: "file", file: kept2.file, size: answer2.size, open: kept2.open };
      handedOn = true;
      let released = false;
      const release2 = () => {
        if (released) return;
        released = true;
        this.oneOffBytes -= counted;
        void rm(kept2.file, { force: true });
      };
      return { kind: "file", file: kept2.file, size: answer2.size, open: kept2.open, release: release2 };
    } catch (e) {
      if (over.signal.aborted) return { kind: "failed", why: String(over.signal.reason) };
      if (own.aborted ? !answered : !ended.aborted) {
        if (e.kind === "silent") this.races.streak(candidate, job.kind);
        else stats.failures++;
      }
      return { kind: "failed", why: e.message };
    } finally {
      if (oneOff && !handedOn) this.oneOffBytes -= counted;
      await pending?.end();
    }
  }
};
function deadline(ms, file2) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(`no candidate delivered ${file2} within ${formatDuration(ms)} (the timeout)`), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
var RoundFailed = class extends Error {
  constructor(why) {
    super(why);
    this.name = "RoundFailed";
  }
};

// src/fetch/local-proxy.ts
import { timingSafeEqual } from "node:crypto";
import { closeSync as closeSync5, createReadStream, fstatSync as fstatSync3 } from "node:fs";
import http from "node:http";

// src/module/sumdb-request.ts
var LOOKUP = /^lookup\/([^@]+)@(v[0-9]+\.[0-9]+\.[0-9]+(?:-[^@]*)?(?:\+incompatible)?)$/;
var TILE = /^tile\/([1-9][0-9]?)\/(data|0|[1-9][0-9]*)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]*))?$/;
function parseSumdbPath(path9) {
  let decoded;
  try {
    const elements = path9.split("/").map((e) => decodeURIComponent(e));
    if (elements.some((e) => e.includes("/"))) return { problem: "an encoded / in the path" };
    decoded = elements.join("/");
  } catch {
    return { problem: "malformed percent-encoding" };
  }
  if (decoded === "supported" || decoded === "latest") return { kind: decoded, path: decoded };
  const lookup = LOOKUP.exec(decoded);
  if (lookup) {
    const module = unescapePath(lookup[1]);
    const version = unescapeVersion(lookup[2]);
    if (module === void 0 || version === void 0) return { problem: "not a module version go could look up" };
    return { kind: "lookup", path: decoded };
  }
  const tile = TILE.exec(decoded);
  if (tile) {
    const height = Number(tile[1]);
    const groups = tile[3].split("/");
    const leadingZeros = groups.length > 1 && groups[0] === "x000";
    const width = tile[4] === void 0 ? void 0 : Number(tile[4]);
    if (height <= 30 && !leadingZeros && (width === void 0 || width < 2 ** height)) return { kind: "tile", path: decoded };
  }
  return { problem: "not a checksum database request" };
}

// src/util/untrusted.ts
var LINE_BREAK = /\r\n|\r|\n/;
var COMMAND_START = /^([\p{White_Space}\p{Cf}]*::)/u;
var BRACKET_COMMAND = /##\[/g;
function inert(text2) {
  return text2.split(LINE_BREAK).map((line) => line.replace(BRACKET_COMMAND, "##[\\").replace(COMMAND_START, "$1\\")).join("\n");
}
var CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
function visible(text2) {
  return text2.replace(CONTROL, escaped);
}
var BREAK = /[\n\u2028\u2029]/g;
function oneLine(text2) {
  return inert(visible(text2).replace(BREAK, escaped));
}
var escaped = (c) => {
  const code = c.charCodeAt(0);
  return code > 255 ? `\\u${code.toString(16).padStart(4, "0")}` : `\\x${code.toString(16).padStart(2, "0")}`;
};

// src/fetch/local-proxy.ts
var MAX_IN_FLIGHT = 256;
var CONTENT_TYPE = {
  info: "application/json",
  mod: "text/plain; charset=utf-8",
  zip: "application/zip"
};
async function startLocalProxy(fetcher, known, options) {
  const prefix = Buffer.from(`/${options.secret}/`);
  const sockets = /* @__PURE__ */ new Set();
  const inFlight = { modules: 0, sumdb: 0 };
  const proxy = { url: "", requests: 0, served: 0, refused: 0, malformed: 0, close: async () => void 0 };
  const server = http.createServer((request, response) => {
    const raw = Buffer.from(request.url ?? "", "latin1");
    if (raw.length < prefix.length || !timingSafeEqual(raw.subarray(0, prefix.length), prefix)) {
      proxy.refused++;
      return fail(response, 403, "forbidden");
    }
    proxy.requests++;
    const refuse = (status, why) => {
      proxy.malformed++;
      fail(response, status, why);
    };
    if (request.method !== "GET") return refuse(405, "only GET is served");
    const rest = raw.subarray(prefix.length).toString("latin1");
    let job;
    let from = fetcher;
    let lane = "modules";
    if (rest.startsWith("sumdb/")) {
      const sumdb = options.sumdb?.();
      const [, name, ...relayed] = rest.split("/");
      if (!sumdb || name !== sumdb.name) return refuse(404, "no such checksum database here");
      const asked = parseSumdbPath(relayed.join("/"));
      if ("problem" in asked) return refuse(400, asked.problem);
      if (asked.kind === "supported") {
        response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        return response.end();
      }
      job = { module: `checksum database ${sumdb.name}`, version: "", kind: "other", path: asked.path, maxBytes: MAX_BYTES.sumdb, transient: true };
      from = sumdb.fetcher;
      lane = "sumdb";
    } else {
      const asked = parseRequestPath(rest);
      if ("problem" in asked) return refuse(400, asked.problem);
      job = jobFor(known, asked);
    }
    if (inFlight[lane] >= MAX_IN_FLIGHT) return fail(response, 503, `busy: ${MAX_IN_FLIGHT} requests are being answered here`);
    inFlight[lane]++;
    const gone = job.transient ? new AbortController() : void 0;
    response.once("close", () => {
      inFlight[lane]--;
      gone?.abort(new Error("its client went away"));
    });
    void from.get(job, gone ? { signal: gone.signal } : {}).then(
      (outcome) => answer(outcome, job, response, () => proxy.served++)
    ).catch((e) => fail(response, 502, e.message));
  });
  server.keepAliveTimeout = 3e4;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const { host, port: port2 } = options.listen ?? { host: "127.0.0.1", port: 0 };
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port2, host, resolve);
  });
  proxy.url = `http://${host.includes(":") ? `[${host}]` : host}:${server.address().port}/${options.secret}`;
  proxy.close = () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
  return proxy;
}
var READ_WHOLE = 64 << 10;
function answer(outcome, job, response, onServed) {
  if (outcome.kind === "absent") return fail(response, outcome.status, `not found: ${job.module}@${job.version}`);
  if (outcome.kind === "failed") return fail(response, 502, `no candidate served ${job.path}: ${outcome.why}`);
  const release2 = outcome.release;
  if (release2) {
    if (response.closed) release2();
    else response.once("close", release2);
  }
  if (response.closed) return;
  let fd;
  try {
    fd = outcome.open();
    const { size } = fstatSync3(fd);
    if (size !== outcome.size) throw new Error(`its size changed from ${outcome.size} to ${size} bytes`);
  } catch (e) {
    if (fd !== void 0) closeSync5(fd);
    return fail(response, 502, `${job.path} could not be served: ${e.message}`);
  }
  const head = { "content-type": CONTENT_TYPE[job.kind] ?? "text/plain; charset=utf-8", "content-length": outcome.size };
  if (outcome.size <= READ_WHOLE) {
    let body;
    try {
      body = readAt(fd, 0, outcome.size);
    } catch (e) {
      return fail(response, 502, `${job.path} could not be served: ${e.message}`);
    } finally {
      closeSync5(fd);
    }
    response.writeHead(200, head).end(body);
    return onServed();
  }
  response.writeHead(200, head);
  const stream = createReadStream("", { fd, end: outcome.size - 1 });
  response.on("close", () => stream.destroy());
  stream.on("error", () => response.destroy());
  stream.on("end", () => {
    if (stream.bytesRead !== outcome.size) return void response.destroy();
    response.end();
    onServed();
  });
  stream.pipe(response, { end: false });
}
function fail(response, status, text2) {
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  response.end(`${shortened(oneLine(text2), GO_SHOWS_BYTES)}
`);
}
var GO_SHOWS_BYTES = 8 * 81;
function shortened(line, bytes) {
  const whole = Buffer.from(line);
  if (whole.length <= bytes) return line;
  let end = bytes - Buffer.byteLength("\u2026");
  while (end > 0 && (whole[end] & 192) === 128) end--;
  return `${whole.subarray(0, end).toString()}\u2026`;
}

// src/fetch/verifying-proxy.ts
async function startVerifyingProxy(options) {
  const fetcher = fetcherIn(options.dir, options, { candidates: options.candidates, store: options.store, hashThreads: options.hashThreads });
  let sumdb;
  let local2;
  try {
    local2 = await startLocalProxy(fetcher, options.known, { secret: options.secret, sumdb: () => sumdb, ...options.listen ? { listen: options.listen } : {} });
  } catch (e) {
    await fetcher.close();
    throw e;
  }
  return {
    url: local2.url,
    local: local2,
    fetcher,
    relaySumdb: (name) => {
      sumdb = { name, fetcher: fetcherIn(path5.join(options.dir, "sumdb"), options, { candidates: [], candidatesComing: true }) };
      return sumdb.fetcher;
    },
    bytes: () => fetcher.bytes + (sumdb?.fetcher.bytes ?? 0),
    close: async () => {
      await Promise.all([local2.close(), fetcher.close(), sumdb?.fetcher.close()]);
    }
  };
}
function fetcherIn(dir, options, own) {
  return new Fetcher({
    client: options.client,
    candidates: own.candidates,
    store: own.store ?? new Store({ root: path5.join(dir, "store"), downloads: "" }),
    transientDir: path5.join(dir, "transient"),
    rounds: options.rounds,
    backoffMs: options.backoffMs,
    stallTimeoutMs: options.stallTimeoutMs,
    ...options.fileTimeoutMs ? { fileTimeoutMs: options.fileTimeoutMs } : {},
    ...own.hashThreads ? { hashThreads: own.hashThreads } : {},
    ...own.candidatesComing ? { candidatesComing: true } : {}
  });
}

// src/net/client.ts
import { closeSync as closeSync7, openSync as openSync4, writeSync as writeSync3 } from "node:fs";
import http3 from "node:http";
import https from "node:https";
import tls4 from "node:tls";

// node_modules/http-proxy-agent/dist/index.js
var import_debug = __toESM(require_src(), 1);
import * as net2 from "net";
import * as tls from "tls";
import { once } from "events";

// node_modules/agent-base/dist/index.js
import * as net from "net";
import * as http2 from "http";
import { Agent as HttpsAgent } from "https";
var INTERNAL = /* @__PURE__ */ Symbol("AgentBaseInternalState");
var Agent2 = class extends http2.Agent {
  constructor(opts) {
    super(opts);
    this[INTERNAL] = {};
  }
  /**
   * Determine whether this is an `http` or `https` request.
   */
  isSecureEndpoint(options) {
    if (options) {
      if (typeof options.secureEndpoint === "boolean") {
        return options.secureEndpoint;
      }
      if (typeof options.protocol === "string") {
        return options.protocol === "https:";
      }
    }
    const { stack } = new Error();
    if (typeof stack !== "string")
      return false;
    return stack.split("\n").some((l) => l.indexOf("(https.js:") !== -1 || l.indexOf("node:https:") !== -1);
  }
  // In order to support async signatures in `connect()` and Node's native
  // connection pooling in `http.Agent`, the array of sockets for each origin
  // has to be updated synchronously. This is so the length of the array is
  // accurate when `addRequest()` is next called. We achieve this by creating a
  // fake socket and adding it to `sockets[origin]` and incrementing
  // `totalSocketCount`.
  incrementSockets(name) {
    if (this.maxSockets === Infinity && this.maxTotalSockets === Infinity) {
      return null;
    }
    if (!this.sockets[name]) {
      this.sockets[name] = [];
    }
    const fakeSocket = new net.Socket({ writable: false });
    this.sockets[name].push(fakeSocket);
    this.totalSocketCount++;
    return fakeSocket;
  }
  decrementSockets(name, socket) {
    if (!this.sockets[name] || socket === null) {
      return;
    }
    const sockets = this.sockets[name];
    const index = sockets.indexOf(socket);
    if (index !== -1) {
      sockets.splice(index, 1);
      this.totalSocketCount--;
      if (sockets.length === 0) {
        delete this.sockets[name];
      }
    }
  }
  // In order to properly update the socket pool, we need to call `getName()` on
  // the core `https.Agent` if it is a secureEndpoint.
  getName(options) {
    const secureEndpoint = this.isSecureEndpoint(options);
    if (secureEndpoint) {
      return HttpsAgent.prototype.getName.call(this, options);
    }
    return super.getName(options);
  }
  createSocket(req, options, cb) {
    const connectOpts = {
      ...options,
      secureEndpoint: this.isSecureEndpoint(options)
    };
    const name = this.getName(connectOpts);
    const fakeSocket = this.incrementSockets(name);
    Promise.resolve().then(() => this.connect(req, connectOpts)).then((socket) => {
      this.decrementSockets(name, fakeSocket);
      if (typeof socket.addRequest === "function") {
        try {
          return socket.addRequest(req, connectOpts);
        } catch (err) {
          return cb(err);
        }
      }
      this[INTERNAL].currentSocket = socket;
      super.createSocket(req, options, cb);
    }, (err) => {
      this.decrementSockets(name, fakeSocket);
      cb(err);
    });
  }
  createConnection() {
    const socket = this[INTERNAL].currentSocket;
    this[INTERNAL].currentSocket = void 0;
    if (!socket) {
      throw new Error("No socket was returned in the `connect()` function");
    }
    return socket;
  }
  get defaultPort() {
    return this[INTERNAL].defaultPort ?? (this.protocol === "https:" ? 443 : 80);
  }
  set defaultPort(v) {
    if (this[INTERNAL]) {
      this[INTERNAL].defaultPort = v;
    }
  }
  get protocol() {
    return this[INTERNAL].protocol ?? (this.isSecureEndpoint() ? "https:" : "http:");
  }
  set protocol(v) {
    if (this[INTERNAL]) {
      this[INTERNAL].protocol = v;
    }
  }
};

// node_modules/http-proxy-agent/dist/index.js
import { URL as URL2 } from "url";

// node_modules/proxy-agent-negotiate/dist/index.js
function createNegotiateAuth() {
  return async ({ response, scheme }) => {
    if (scheme.toLowerCase() !== "negotiate") {
      throw new Error(`Expected Negotiate scheme but got "${scheme}"`);
    }
    let kerberos;
    try {
      kerberos = await import("kerberos");
    } catch {
      throw new Error('The "kerberos" package is required for Negotiate proxy authentication. Install it with: npm install kerberos');
    }
    const proxyAuthenticate = response.headers["proxy-authenticate"] || "";
    const challengeHeader = Array.isArray(proxyAuthenticate) ? proxyAuthenticate[0] : proxyAuthenticate;
    const serverToken = typeof challengeHeader === "string" && challengeHeader.includes(" ") ? challengeHeader.split(" ").slice(1).join(" ") : void 0;
    const client = await kerberos.initializeClient("HTTP@proxy", {
      mechOID: kerberos.GSS_MECH_OID_SPNEGO
    });
    const token = await client.step(serverToken || "");
    if (!token) {
      throw new Error("Kerberos client.step() returned no token");
    }
    return {
      headers: {
        "Proxy-Authorization": `Negotiate ${token}`
      }
    };
  };
}

// node_modules/http-proxy-agent/dist/index.js
var debug = (0, import_debug.default)("http-proxy-agent");
var HttpProxyAgent = class extends Agent2 {
  constructor(proxy, opts) {
    super(opts);
    this.proxy = typeof proxy === "string" ? new URL2(proxy) : proxy;
    this.proxyHeaders = opts?.headers ?? {};
    debug("Creating new HttpProxyAgent instance: %o", this.proxy.href);
    if (opts?.negotiate) {
      this.onProxyAuth = createNegotiateAuth();
    } else if (opts?.onProxyAuth) {
      this.onProxyAuth = opts.onProxyAuth;
    }
    const host = (this.proxy.hostname || this.proxy.host).replace(/^\[|\]$/g, "");
    const port2 = this.proxy.port ? parseInt(this.proxy.port, 10) : this.proxy.protocol === "https:" ? 443 : 80;
    this.connectOpts = {
      ...opts ? omit(opts, "headers", "onProxyAuth", "negotiate") : null,
      host,
      port: port2
    };
  }
  addRequest(req, opts) {
    req._header = null;
    this.setRequestProps(req, opts);
    super.addRequest(req, opts);
  }
  setRequestProps(req, opts) {
    const { proxy } = this;
    const protocol = opts.secureEndpoint ? "https:" : "http:";
    const hostname = req.getHeader("host") || "localhost";
    const base = `${protocol}//${hostname}`;
    const url = new URL2(req.path, base);
    if (opts.port !== 80) {
      url.port = String(opts.port);
    }
    req.path = String(url);
    const headers = typeof this.proxyHeaders === "function" ? this.proxyHeaders() : { ...this.proxyHeaders };
    if (proxy.username || proxy.password) {
      const auth = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      headers["Proxy-Authorization"] = `Basic ${Buffer.from(auth).toString("base64")}`;
    }
    if (!headers["Proxy-Connection"]) {
      headers["Proxy-Connection"] = this.keepAlive ? "Keep-Alive" : "close";
    }
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value) {
        req.setHeader(name, value);
      }
    }
  }
  async connect(req, opts) {
    req._header = null;
    if (!req.path.includes("://")) {
      this.setRequestProps(req, opts);
    }
    let first;
    let endOfHeaders;
    debug("Regenerating stored HTTP header string for request");
    req._implicitHeader();
    if (req.outputData && req.outputData.length > 0) {
      debug("Patching connection write() output buffer with updated header");
      first = req.outputData[0].data;
      endOfHeaders = first.indexOf("\r\n\r\n") + 4;
      req.outputData[0].data = req._header + first.substring(endOfHeaders);
      debug("Output buffer: %o", req.outputData[0].data);
    }
    let socket;
    if (this.proxy.protocol === "https:") {
      debug("Creating `tls.Socket`: %o", this.connectOpts);
      socket = tls.connect(this.connectOpts);
    } else {
      debug("Creating `net.Socket`: %o", this.connectOpts);
      socket = net2.connect(this.connectOpts);
    }
    await once(socket, "connect");
    const connect5 = { socket };
    req.emit("proxyConnect", connect5);
    this.emit("proxyConnect", connect5, req);
    req.emit("proxy", { proxy: this.proxy.href, socket });
    return socket;
  }
};
HttpProxyAgent.protocols = ["http", "https"];
function omit(obj, ...keys) {
  const ret = {};
  let key2;
  for (key2 in obj) {
    if (!keys.includes(key2)) {
      ret[key2] = obj[key2];
    }
  }
  return ret;
}

// node_modules/https-proxy-agent/dist/index.js
var import_debug3 = __toESM(require_src(), 1);
import * as net3 from "net";
import * as tls2 from "tls";
import assert from "assert";
import { URL as URL3 } from "url";

// node_modules/https-proxy-agent/dist/parse-proxy-response.js
var import_debug2 = __toESM(require_src(), 1);
var debug2 = (0, import_debug2.default)("https-proxy-agent:parse-proxy-response");
function parseProxyResponse(socket) {
  return new Promise((resolve, reject) => {
    let buffersLength = 0;
    const buffers = [];
    function read() {
      const b = socket.read();
      if (b)
        ondata(b);
      else
        socket.once("readable", read);
    }
    function cleanup() {
      socket.removeListener("end", onend);
      socket.removeListener("error", onerror);
      socket.removeListener("readable", read);
    }
    function onend() {
      cleanup();
      debug2("onend");
      reject(new Error("Proxy connection ended before receiving CONNECT response"));
    }
    function onerror(err) {
      cleanup();
      debug2("onerror %o", err);
      reject(err);
    }
    function ondata(b) {
      buffers.push(b);
      buffersLength += b.length;
      const buffered = Buffer.concat(buffers, buffersLength);
      const endOfHeaders = buffered.indexOf("\r\n\r\n");
      if (endOfHeaders === -1) {
        debug2("have not received end of HTTP headers yet...");
        read();
        return;
      }
      const headerParts = buffered.slice(0, endOfHeaders).toString("ascii").split("\r\n");
      const firstLine = headerParts.shift();
      if (!firstLine) {
        socket.destroy();
        return reject(new Error("No header received from proxy CONNECT response"));
      }
      const firstLineParts = firstLine.split(" ");
      const statusCode = +firstLineParts[1];
      const statusText = firstLineParts.slice(2).join(" ");
      const headers = {};
      for (const header of headerParts) {
        if (!header)
          continue;
        const firstColon = header.indexOf(":");
        if (firstColon === -1) {
          socket.destroy();
          return reject(new Error(`Invalid header from proxy CONNECT response: "${header}"`));
        }
        const key2 = header.slice(0, firstColon).toLowerCase();
        const value = header.slice(firstColon + 1).trimStart();
        const current2 = headers[key2];
        if (typeof current2 === "string") {
          headers[key2] = [current2, value];
        } else if (Array.isArray(current2)) {
          current2.push(value);
        } else {
          headers[key2] = value;
        }
      }
      debug2("got proxy server response: %o %o", firstLine, headers);
      cleanup();
      resolve({
        connect: {
          statusCode,
          statusText,
          headers
        },
        buffered
      });
    }
    socket.on("error", onerror);
    socket.on("end", onend);
    read();
  });
}

// node_modules/https-proxy-agent/dist/index.js
var debug3 = (0, import_debug3.default)("https-proxy-agent");
var setServernameFromNonIpHost = (options) => {
  if (options.servername === void 0 && options.host && !net3.isIP(options.host)) {
    return {
      ...options,
      servername: options.host
    };
  }
  return options;
};
var HttpsProxyAgent = class extends Agent2 {
  constructor(proxy, opts) {
    super(opts);
    this.options = { path: void 0 };
    this.proxy = typeof proxy === "string" ? new URL3(proxy) : proxy;
    this.proxyHeaders = opts?.headers ?? {};
    debug3("Creating new HttpsProxyAgent instance: %o", this.proxy.href);
    if (opts?.negotiate) {
      this.onProxyAuth = createNegotiateAuth();
    } else if (opts?.onProxyAuth) {
      this.onProxyAuth = opts.onProxyAuth;
    }
    const host = (this.proxy.hostname || this.proxy.host).replace(/^\[|\]$/g, "");
    const port2 = this.proxy.port ? parseInt(this.proxy.port, 10) : this.proxy.protocol === "https:" ? 443 : 80;
    this.connectOpts = {
      // Attempt to negotiate http/1.1 for proxy servers that support http/2
      ALPNProtocols: ["http/1.1"],
      ...opts ? omit2(opts, "headers", "onProxyAuth", "negotiate") : null,
      host,
      port: port2
    };
  }
  /**
   * Called when the node-core HTTP client library is creating a
   * new HTTP request.
   */
  async connect(req, opts) {
    const { proxy } = this;
    if (!opts.host) {
      throw new TypeError('No "host" provided');
    }
    let socket;
    if (proxy.protocol === "https:") {
      debug3("Creating `tls.Socket`: %o", this.connectOpts);
      socket = tls2.connect(setServernameFromNonIpHost(this.connectOpts));
    } else {
      debug3("Creating `net.Socket`: %o", this.connectOpts);
      socket = net3.connect(this.connectOpts);
    }
    const headers = typeof this.proxyHeaders === "function" ? this.proxyHeaders() : { ...this.proxyHeaders };
    const host = net3.isIPv6(opts.host) ? `[${opts.host}]` : opts.host;
    let payload = `CONNECT ${host}:${opts.port} HTTP/1.1\r
`;
    if (proxy.username || proxy.password) {
      const auth = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      headers["Proxy-Authorization"] = `Basic ${Buffer.from(auth).toString("base64")}`;
    }
    headers.Host = `${host}:${opts.port}`;
    if (!headers["Proxy-Connection"]) {
      headers["Proxy-Connection"] = this.keepAlive ? "Keep-Alive" : "close";
    }
    for (const name of Object.keys(headers)) {
      payload += `${name}: ${headers[name]}\r
`;
    }
    const proxyResponsePromise = parseProxyResponse(socket);
    socket.write(`${payload}\r
`);
    const { connect: connect5, buffered } = await proxyResponsePromise;
    req.emit("proxyConnect", connect5);
    this.emit("proxyConnect", connect5, req);
    req.emit("proxy", { proxy: this.proxy.href, socket });
    if (connect5.statusCode === 200) {
      req.once("socket", resume);
      if (opts.secureEndpoint) {
        debug3("Upgrading socket connection to TLS");
        return tls2.connect({
          ...omit2(setServernameFromNonIpHost(opts), "host", "path", "port"),
          socket
        });
      }
      return socket;
    }
    if (connect5.statusCode === 407 && this.onProxyAuth) {
      debug3("Got 407 response, invoking onProxyAuth callback");
      socket.destroy();
      const proxyAuthenticate = connect5.headers["proxy-authenticate"] || "";
      const scheme = Array.isArray(proxyAuthenticate) ? proxyAuthenticate[0].split(/\s/)[0] : proxyAuthenticate.split(/\s/)[0];
      const authResponse = await this.onProxyAuth({
        response: connect5,
        scheme
      });
      return this._connectWithAuth(req, opts, authResponse.headers);
    }
    socket.destroy();
    const fakeSocket = new net3.Socket({ writable: false });
    fakeSocket.readable = true;
    req.once("socket", (s) => {
      debug3("Replaying proxy buffer for failed request");
      assert(s.listenerCount("data") > 0);
      s.push(buffered);
      s.push(null);
    });
    return fakeSocket;
  }
  /**
   * Retry a CONNECT request with additional auth headers.
   */
  async _connectWithAuth(req, opts, authHeaders) {
    const { proxy } = this;
    let socket;
    if (proxy.protocol === "https:") {
      socket = tls2.connect(setServernameFromNonIpHost(this.connectOpts));
    } else {
      socket = net3.connect(this.connectOpts);
    }
    const headers = typeof this.proxyHeaders === "function" ? this.proxyHeaders() : { ...this.proxyHeaders };
    const host = net3.isIPv6(opts.host) ? `[${opts.host}]` : opts.host;
    let payload = `CONNECT ${host}:${opts.port} HTTP/1.1\r
`;
    if (proxy.username || proxy.password) {
      const auth = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      headers["Proxy-Authorization"] = `Basic ${Buffer.from(auth).toString("base64")}`;
    }
    Object.assign(headers, authHeaders);
    headers.Host = `${host}:${opts.port}`;
    if (!headers["Proxy-Connection"]) {
      headers["Proxy-Connection"] = this.keepAlive ? "Keep-Alive" : "close";
    }
    for (const name of Object.keys(headers)) {
      payload += `${name}: ${headers[name]}\r
`;
    }
    const proxyResponsePromise = parseProxyResponse(socket);
    socket.write(`${payload}\r
`);
    const { connect: connect5 } = await proxyResponsePromise;
    req.emit("proxyConnect", connect5);
    this.emit("proxyConnect", connect5, req);
    if (connect5.statusCode === 200) {
      req.once("socket", resume);
      if (opts.secureEndpoint) {
        debug3("Upgrading socket connection to TLS");
        return tls2.connect({
          ...omit2(setServernameFromNonIpHost(opts), "host", "path", "port"),
          socket
        });
      }
      return socket;
    }
    socket.destroy();
    throw new Error(`Proxy authentication failed with status ${connect5.statusCode} after retry`);
  }
};
HttpsProxyAgent.protocols = ["http", "https"];
function resume(socket) {
  setImmediate(() => {
    socket.resume();
  });
}
function omit2(obj, ...keys) {
  const ret = {};
  let key2;
  for (key2 in obj) {
    if (!keys.includes(key2)) {
      ret[key2] = obj[key2];
    }
  }
  return ret;
}

// src/net/errors.ts
var NetError = class extends Error {
  kind;
  constructor(kind, message, options) {
    super(message, options);
    this.name = "NetError";
    this.kind = kind;
  }
};
var SlowError = class extends NetError {
  constructor(bytesPerSec, windowMs) {
    super("silent", `slower than ${bytesPerSec} bytes/s for ${formatDuration(windowMs)}`);
  }
};
var TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH|ERR_OSSL_)/;
function classifyError(e, via) {
  if (e instanceof NetError) return e;
  const error = e;
  const code = error.code ?? "";
  const message = error.code && !error.message.includes(error.code) ? `${error.message} (${error.code})` : error.message;
  let kind = "other";
  if (error.name === "AbortError" || error.name === "TimeoutError") kind = "silent";
  else if (code === "ECONNREFUSED") kind = "refused";
  else if (code === "ECONNRESET" || code === "EPIPE" || /socket hang up/.test(error.message)) kind = "reset";
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN") kind = "dns";
  else if (TLS_CODES.test(code) || /certificate|SSL routines|TLS/i.test(error.message)) kind = "tls";
  if (via && (kind === "refused" || kind === "dns" || kind === "reset")) {
    return new NetError("proxy", `forward proxy ${via}: ${describeKind(kind, message)}`, { cause: e });
  }
  return new NetError(kind, describeKind(kind, message), { cause: e });
}
function describeKind(kind, message) {
  if (kind === "refused") return "connection refused";
  if (kind === "reset") return "connection reset";
  return message;
}

// src/net/lookups.ts
import dns from "node:dns";
var LOOKUP_REUSE_MS = 3e4;
function sharedLookup(resolve = dns.lookup, now = () => performance.now()) {
  const kept2 = /* @__PURE__ */ new Map();
  const addressesOf = (hostname, family, hints) => {
    const key2 = `${hostname}|${family}|${hints}`;
    const hit = kept2.get(key2);
    if (hit && hit.until > now()) return hit.addresses;
    const addresses = new Promise(
      (ok, fail2) => resolve(hostname, { all: true, family, hints }, (err, found) => err ? fail2(err) : ok(found))
    );
    const entry = { addresses, until: Infinity };
    kept2.set(key2, entry);
    addresses.then(
      () => {
        entry.until = now() + LOOKUP_REUSE_MS;
      },
      () => {
        if (kept2.get(key2) === entry) kept2.delete(key2);
      }
    );
    return addresses;
  };
  return (hostname, options, callback) => {
    const family = typeof options.family === "number" ? options.family : options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : 0;
    addressesOf(hostname, family, options.hints ?? 0).then(
      (addresses) => {
        if (options.all) return callback(null, addresses);
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
        callback(null, first.address, first.family);
      },
      (err) => callback(err, "", 0)
    );
  };
}

// src/util/settings-file.ts
import { closeSync as closeSync6, constants as constants4, fstatSync as fstatSync4, openSync as openSync3, readFileSync, statSync } from "node:fs";
import os2 from "node:os";
function readSettingsFile(file2, encoding = "utf8") {
  const fd = openSync3(file2, constants4.O_RDONLY | (constants4.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync4(fd);
    if (isNullDevice(stats)) return "";
    if (!stats.isFile()) throw new Error("not a regular file");
    return readFileSync(fd, encoding);
  } finally {
    closeSync6(fd);
  }
}
function isNullDevice(stats) {
  if (!stats.isCharacterDevice()) return false;
  try {
    const nul = statSync(os2.devNull);
    return nul.isCharacterDevice() && nul.rdev === stats.rdev;
  } catch {
    return false;
  }
}

// src/net/netrc.ts
import path6 from "node:path";
function parseNetrc(text2) {
  const entries = [];
  let entry = { machine: "", login: "", password: "" };
  let inMacro = false;
  for (const line of text2.split("\n")) {
    if (inMacro) {
      if (line === "") inMacro = false;
      continue;
    }
    const fields = line.split(/[ \t\r\v\f]+/).filter((f) => f !== "");
    let i = 0;
    for (; i < fields.length - 1; i += 2) {
      const [token, value] = [fields[i], fields[i + 1]];
      if (token === "machine") entry = { machine: value, login: "", password: "" };
      else if (token === "login") entry.login = value;
      else if (token === "password") entry.password = value;
      else if (token === "macdef") inMacro = true;
      if (entry.machine && entry.login && entry.password) {
        entries.push(entry);
        entry = { machine: "", login: "", password: "" };
      }
    }
    if (fields[i] === "default") break;
  }
  return entries;
}
function netrcPath(env, platform = process.platform) {
  if (env.NETRC) return env.NETRC;
  const home = platform === "win32" ? env.USERPROFILE : env.HOME;
  if (!home) return void 0;
  return path6.join(home, platform === "win32" ? "_netrc" : ".netrc");
}

// src/net/goauth.ts
function splitQuoted(text2) {
  const words = [];
  let i = 0;
  while (i < text2.length) {
    while (i < text2.length && /\s/.test(text2[i])) i++;
    if (i >= text2.length) break;
    const quote = text2[i];
    if (quote === '"' || quote === "'") {
      const end = text2.indexOf(quote, i + 1);
      if (end < 0) throw new Error(`unterminated ${quote} string`);
      words.push(text2.slice(i + 1, end));
      i = end + 1;
    } else {
      const start2 = i;
      while (i < text2.length && !/\s/.test(text2[i])) i++;
      words.push(text2.slice(start2, i));
    }
  }
  return words;
}
function parseAuthOutput(text2) {
  const credentials = /* @__PURE__ */ new Map();
  const lines = text2.split("\n").map((l) => l.replace(/\r$/, ""));
  let i = 0;
  while (i < lines.length && !(i === lines.length - 1 && lines[i] === "")) {
    const prefixes = [];
    for (; ; i++) {
      const line = lines[i];
      if (line === void 0) throw new Error("invalid format: expected url prefix or empty line");
      if (line.trim() !== line) throw new Error("invalid format: leading or trailing white space");
      if (line === "") break;
      if (!line.startsWith("https://")) throw new Error("invalid format: expected url prefix or empty line");
      prefixes.push(line);
    }
    i++;
    if (prefixes.length === 0) throw new Error("invalid format: expected url prefix");
    const headers = {};
    for (; i < lines.length && lines[i] !== ""; i++) {
      const line = lines[i];
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line.slice(0, 40))}`);
      const name = line.slice(0, colon).trim();
      (headers[name] ??= []).push(line.slice(colon + 1).trim());
    }
    i++;
    for (const prefix of prefixes) credentials.set(trimPrefix(prefix), headers);
  }
  return credentials;
}
var trimPrefix = (prefix) => prefix.replace(/^https:\/\//, "").replace(/\/$/, "");
var COMMAND_TIMEOUT_MS = 6e4;
async function runCommand(words, env, url, status) {
  const args = [...words.slice(1), ...url ? [url.href] : []];
  let answer2;
  try {
    answer2 = await output(words[0], args, { env, timeoutMs: COMMAND_TIMEOUT_MS, maxBytes: 1 << 20, input: status ? `HTTP/1.1 ${status}

` : "" });
  } catch (e) {
    throw new Error(`GOAUTH command ${words[0]} failed: ${e.message.split("\n")[0]}`, { cause: e });
  }
  if (answer2.code !== 0) throw new Error(`GOAUTH command ${words[0]} failed: exit code ${answer2.code}`);
  try {
    return parseAuthOutput(answer2.stdout);
  } catch (e) {
    throw new Error(`cannot parse output of GOAUTH command ${words[0]}: ${e.message}`, { cause: e });
  }
}
async function loadGoAuth(goauth, env, platform = process.platform) {
  const cache = /* @__PURE__ */ new Map();
  const store = (prefix, headers) => {
    cache.set(prefix, headers);
    for (const values of Object.values(headers)) for (const v of values) for (const secret of [v, ...secretParts(v)]) secrets.add(secret);
  };
  const secrets = /* @__PURE__ */ new Set();
  const unsupported = [];
  const commands = [];
  const methods = goauth.split(";").map((m) => m.trim());
  if (methods.includes("off") && methods.length > 1) throw new Error(`GOAUTH=off cannot be combined with other authentication commands (GOAUTH=${goauth})`);
  const run = async (url, status) => {
    for (const method of [...methods].reverse()) {
      const words = splitQuoted(method);
      if (words.length === 0) throw new Error(`GOAUTH has an empty command (GOAUTH=${goauth})`);
      if (words[0] === "off") return;
      if (words[0] === "netrc") {
        if (url) continue;
        const file2 = netrcPath(env, platform);
        const text2 = file2 === void 0 ? "" : readOptional(file2);
        for (const entry of parseNetrc(text2).reverse()) store(trimPrefix(entry.machine), { Authorization: [basicAuthorization(entry.login, entry.password)] });
      } else if (words[0] === "git" || words[0] === "mtls") {
        if (!url && !unsupported.includes(method)) unsupported.push(method);
      } else {
        if (!url) commands.push(words);
        const found = await runCommand(words, env, url, status).catch(() => /* @__PURE__ */ new Map());
        for (const [prefix, headers] of found) {
          if (Object.keys(headers).length === 0) cache.delete(prefix);
          else store(prefix, headers);
        }
      }
    }
  };
  await run();
  return {
    headersFor: (url) => {
      if (url.protocol !== "https:" || url.username || url.password) return void 0;
      let prefix = trimPrefix(url.href);
      for (; ; ) {
        const headers = cache.get(prefix);
        if (headers) return headers;
        const slash = prefix.lastIndexOf("/");
        if (slash < 0) return void 0;
        prefix = prefix.slice(0, slash);
      }
    },
    refresh: async (url, status) => {
      if (commands.length === 0) return false;
      await run(url, status);
      return true;
    },
    secrets: () => [...secrets],
    unsupported
  };
}
function basicAuthorization(user, password) {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
function secretParts(value) {
  const [scheme, token] = value.split(/\s+/, 2);
  if (!token) return [];
  if (scheme?.toLowerCase() !== "basic") return [token];
  const pair = Buffer.from(token, "base64").toString("utf8");
  const colon = pair.indexOf(":");
  if (colon < 0) return [token];
  const user = pair.slice(0, colon);
  return [token, pair.slice(colon + 1), ...user.length >= TOKEN_LIKE_LOGIN ? [user] : []];
}
var TOKEN_LIKE_LOGIN = 16;
function readOptional(file2) {
  try {
    return readSettingsFile(file2);
  } catch (e) {
    if (e.code === "ENOENT") return "";
    throw new Error(`cannot read ${file2} (GOAUTH=netrc): ${e.message}`, { cause: e });
  }
}

// src/net/proxy-env.ts
import net4 from "node:net";
import { domainToASCII } from "node:url";
function firstSet(env, names) {
  for (const name of names) {
    const value = env[name];
    if (value) return { value, from: name };
  }
  return void 0;
}
var PROXY_SCHEMES = /* @__PURE__ */ new Set(["http:", "https:", "socks5:", "socks5h:"]);
function parseProxyUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    url = void 0;
  }
  if (url && PROXY_SCHEMES.has(url.protocol)) return url;
  try {
    return new URL(`http://${value}`);
  } catch {
    return void 0;
  }
}
function proxyRules(env) {
  const choice = (names) => {
    const set = firstSet(env, names);
    const url = set && parseProxyUrl(set.value);
    return set && url ? { url, from: set.from } : void 0;
  };
  const http4 = choice(["HTTP_PROXY", "http_proxy"]);
  const https2 = choice(["HTTPS_PROXY", "https_proxy"]);
  return {
    ...http4 ? { http: http4 } : {},
    ...https2 ? { https: https2 } : {},
    cgi: Boolean(env.REQUEST_METHOD),
    exempt: noProxyMatcher(firstSet(env, ["NO_PROXY", "no_proxy"])?.value ?? "")
  };
}
var CgiProxyError = class extends Error {
  constructor() {
    super("refusing to use HTTP_PROXY value in CGI environment (REQUEST_METHOD is set), as go does");
    this.name = "CgiProxyError";
  }
};
function proxyFor(rules, url) {
  const proxy = url.protocol === "https:" ? rules.https : url.protocol === "http:" ? rules.http : void 0;
  if (proxy && url.protocol === "http:" && rules.cgi) throw new CgiProxyError();
  if (!proxy) return void 0;
  const host = bareHost(url.hostname).toLowerCase();
  if (host === "") return proxy;
  const port2 = url.port || (url.protocol === "https:" ? "443" : "80");
  const ip = net4.isIP(host) !== 0;
  if (host === "localhost" || ip && isLoopback(host)) return void 0;
  return rules.exempt(host, port2, ip) ? void 0 : proxy;
}
var bareHost = (host) => host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
var LOOPBACK = new net4.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
function isLoopback(ip) {
  return LOOPBACK.check(ip, net4.isIPv6(ip) ? "ipv6" : "ipv4");
}
function normalizeIp(ip) {
  return new net4.SocketAddress({ address: ip, family: net4.isIPv6(ip) ? "ipv6" : "ipv4" }).address;
}
function splitHostPort(entry) {
  if (entry.startsWith("[")) {
    const end = entry.indexOf("]");
    if (end < 0 || entry[end + 1] !== ":") return void 0;
    return { host: entry.slice(1, end), port: entry.slice(end + 2) };
  }
  const colon = entry.indexOf(":");
  if (colon < 0 || entry.indexOf(":", colon + 1) >= 0) return void 0;
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
}
function noProxyMatcher(noProxy) {
  const ipMatchers = [];
  const domainMatchers = [];
  for (const raw of noProxy.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return () => true;
    const cidr = parseCidr(entry);
    if (cidr) {
      ipMatchers.push((host2, _port, ip) => ip && cidr.check(host2, net4.isIPv6(host2) ? "ipv6" : "ipv4"));
      continue;
    }
    const split = splitHostPort(entry);
    if (split && split.host === "") continue;
    const host = split?.host ?? entry;
    const port2 = split?.port ?? "";
    if (net4.isIP(host)) {
      const want = normalizeIp(host);
      ipMatchers.push((candidate, candidatePort, ip) => ip && normalizeIp(candidate) === want && (port2 === "" || port2 === candidatePort));
      continue;
    }
    if (host === "") continue;
    const name = host.startsWith("*.") ? host.slice(1) : host;
    const matchHost = !name.startsWith(".");
    const bare = matchHost ? name : name.slice(1);
    const suffix = `.${[...bare].some((c) => c.charCodeAt(0) > 127) ? domainToASCII(bare) || bare : bare}`;
    domainMatchers.push(
      (candidate, candidatePort) => (candidate.endsWith(suffix) || matchHost && candidate === suffix.slice(1)) && (port2 === "" || port2 === candidatePort)
    );
  }
  return (host, port2, ip) => ip && ipMatchers.some((m) => m(host, port2, ip)) || domainMatchers.some((m) => m(host, port2, ip));
}
function parseCidr(entry) {
  const slash = entry.indexOf("/");
  if (slash < 0) return void 0;
  const address = entry.slice(0, slash);
  const bits = entry.slice(slash + 1);
  const family = net4.isIP(address);
  if (family === 0 || !/^\d+$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return void 0;
  const list = new net4.BlockList();
  list.addSubnet(address, Number(bits), family === 4 ? "ipv4" : "ipv6");
  return list;
}

// src/net/trust.ts
import { X509Certificate } from "node:crypto";
import { readdirSync as readdirSync2, readlinkSync as readlinkSync2, lstatSync as lstatSync2 } from "node:fs";
import path7 from "node:path";
import tls3 from "node:tls";
var SYSTEM_CERT_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/pki/tls/cacert.pem",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/ssl/cert.pem"
];
var SYSTEM_CERT_DIRS = ["/etc/ssl/certs", "/etc/pki/tls/certs"];
var PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
var parses = /* @__PURE__ */ new Map();
function parsesAsCertificate(pem) {
  let ok = parses.get(pem);
  if (ok === void 0) {
    try {
      new X509Certificate(pem);
      ok = true;
    } catch {
      ok = false;
    }
    parses.set(pem, ok);
  }
  return ok;
}
function certificatesIn(text2) {
  return (text2.match(PEM) ?? []).filter(parsesAsCertificate);
}
var readText = (file2) => {
  try {
    return readSettingsFile(file2, "latin1");
  } catch {
    return void 0;
  }
};
function directoryFiles(dir) {
  let names;
  try {
    names = readdirSync2(dir);
  } catch {
    return [];
  }
  return names.map((name) => path7.join(dir, name)).filter((file2) => {
    try {
      return !(lstatSync2(file2).isSymbolicLink() && !readlinkSync2(file2).includes("/"));
    } catch {
      return false;
    }
  });
}
function unixTrust(env) {
  const certificates = [];
  const sources = [];
  const files = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : SYSTEM_CERT_FILES;
  for (const file2 of files) {
    const text2 = readText(file2);
    if (text2 === void 0) continue;
    certificates.push(...certificatesIn(text2));
    sources.push(env.SSL_CERT_FILE ? `SSL_CERT_FILE=${file2}` : file2);
    break;
  }
  const dirs = env.SSL_CERT_DIR ? env.SSL_CERT_DIR.split(":") : SYSTEM_CERT_DIRS;
  for (const dir of dirs) {
    const found = directoryFiles(dir).flatMap((file2) => certificatesIn(readText(file2) ?? ""));
    if (found.length === 0) continue;
    certificates.push(...found);
    sources.push(env.SSL_CERT_DIR ? `SSL_CERT_DIR ${dir}` : dir);
  }
  return { certificates, sources };
}
function osTrust() {
  const system = typeof tls3.getCACertificates === "function" ? tls3.getCACertificates("system") : [];
  return system.length > 0 ? { certificates: [...system], sources: ["the system store"] } : { certificates: [...tls3.rootCertificates], sources: ["node's bundled list (this node cannot read the system store)"] };
}
function loadTrust(env, platform = process.platform) {
  const trust2 = platform === "darwin" || platform === "win32" ? osTrust() : unixTrust(env);
  const extra = env.NODE_EXTRA_CA_CERTS;
  const extraCerts = extra ? certificatesIn(readText(extra) ?? "") : [];
  if (extraCerts.length > 0) trust2.sources.push(`NODE_EXTRA_CA_CERTS=${extra}`);
  return { certificates: [...new Set([...trust2.certificates, ...extraCerts].map((c) => c.trim()))], sources: trust2.sources };
}

// src/net/client.ts
async function loadNetworkView(env, goauth, trust2 = loadTrust(env)) {
  return { trust: trust2, proxies: proxyRules(env), auth: await loadGoAuth(goauth || "netrc", env) };
}
var MAX_REDIRECTS = 10;
var HttpClient = class {
  view;
  secureContext;
  agents = /* @__PURE__ */ new Map();
  maxSockets;
  /** Every connection's DNS lookup: one per host at a time (lookups.ts). */
  lookup = sharedLookup();
  constructor(view, options = {}) {
    this.view = view;
    this.maxSockets = options.maxSockets ?? Infinity;
    this.secureContext = tls4.createSecureContext({ ca: view.trust.certificates });
  }
  /** The forward proxy a request to url goes through (undefined: a direct connection). */
  route(url) {
    return proxyFor(this.view.proxies, typeof url === "string" ? new URL(url) : url);
  }
  /** `url` may carry `user:password@`: sent as Basic credentials, as go sends them. */
  get(url, options) {
    return this.request(
      url,
      options,
      (response, status, contentType, onData) => new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        response.on("data", (chunk) => {
          size += chunk.length;
          onData(chunk.length);
          chunks.push(chunk);
          if (size > options.maxBytes) {
            reject(new NetError("http", `answer larger than ${options.maxBytes} bytes`));
            response.destroy();
          }
        });
        response.on("end", () => resolve({ status, contentType, body: Buffer.concat(chunks) }));
        response.on("error", reject);
      })
    );
  }
  /**
   * Like get, but a 200's body goes to `file` as it arrives; other answers' bodies are dropped.
   * Each chunk is written at once, synchronously: a write to the page cache takes microseconds,
   * while an asynchronous one wakes a thread-pool thread per chunk, which on 2 busy cores cost
   * several times the write itself (the hashing threads need those cores), and kept chunks
   * waiting in memory meanwhile.
   */
  download(url, file2, options) {
    return this.request(url, options, async (response, status, contentType, onData) => {
      if (status !== 200) {
        response.resume();
        return { status, contentType, size: 0 };
      }
      let size = 0;
      const fd = openSync4(file2, "wx");
      try {
        for await (const chunk of response) {
          size += chunk.length;
          if (size > options.maxBytes) {
            response.destroy();
            throw new NetError("http", `answer larger than ${options.maxBytes} bytes`);
          }
          onData(chunk.length);
          for (let at = 0; at < chunk.length; ) at += writeSync3(fd, chunk, at);
        }
      } finally {
        closeSync7(fd);
      }
      return { status, contentType, size };
    });
  }
  async request(url, given2, consume) {
    const floor = watchFloor(given2.floor);
    const options = {
      ...given2,
      signal: AbortSignal.any([given2.signal, floor.signal]),
      onData: (bytes) => {
        floor.add(bytes);
        given2.onData?.(bytes);
      },
      onSocket: floor.start
    };
    try {
      return await this.follow(url, options, consume);
    } catch (e) {
      throw floor.signal.aborted ? floor.signal.reason : e;
    } finally {
      floor.stop();
    }
  }
  /** The request, along its redirects, and again once after a 4xx if GOAUTH has new credentials. */
  async follow(url, options, consume) {
    let target = new URL(url);
    let headers = this.credentials(target);
    target.username = "";
    target.password = "";
    let refreshed = false;
    for (let redirects = 0; ; redirects++) {
      const answer2 = await this.once(target, headers, options, consume);
      if ("location" in answer2) {
        if (redirects >= MAX_REDIRECTS) throw new NetError("http", `stopped after ${MAX_REDIRECTS} redirects`);
        const next = new URL(answer2.location, target);
        if (target.protocol === "https:" && next.protocol !== "https:") {
          throw new NetError("http", `redirected from secure URL ${redactUrl(target.href)} to insecure URL ${redactUrl(next.href)}`);
        }
        if (next.host !== target.host) headers = {};
        target = next;
        continue;
      }
      if (!refreshed && answer2.status >= 400 && answer2.status < 500 && target.protocol === "https:") {
        refreshed = true;
        if (await this.view.auth.refresh(target, String(answer2.status))) {
          headers = this.credentials(target);
          continue;
        }
      }
      return answer2.result;
    }
  }
  /** Destroys the pooled connections. */
  close() {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
  credentials(url) {
    if (url.username || url.password) return { authorization: [basicAuthorization(decodeURIComponent(url.username), decodeURIComponent(url.password))] };
    return this.view.auth.headersFor(url) ?? {};
  }
  agentFor(url, proxy) {
    const secure = url.protocol === "https:";
    const key2 = `${url.protocol}|${proxy?.url.href ?? "direct"}`;
    let agent = this.agents.get(key2);
    if (agent) return agent;
    const pool = { keepAlive: true, maxSockets: this.maxSockets, lookup: this.lookup };
    if (!proxy) agent = secure ? new https.Agent(pool) : new http3.Agent(pool);
    else {
      if (proxy.url.protocol !== "http:" && proxy.url.protocol !== "https:") {
        throw new NetError("proxy", `${proxy.from} is ${redactUrl(proxy.url.href)}: the action's own requests cannot use a ${proxy.url.protocol.slice(0, -1)} proxy (go can)`);
      }
      const toProxy = { ...pool, secureContext: this.secureContext };
      agent = secure ? new HttpsProxyAgent(proxy.url, toProxy) : new HttpProxyAgent(proxy.url, toProxy);
    }
    this.agents.set(key2, agent);
    return agent;
  }
  once(url, headers, options, consume) {
    let proxy;
    let agent;
    try {
      proxy = this.route(url);
      agent = this.agentFor(url, proxy);
    } catch (e) {
      return Promise.reject(classifyError(e));
    }
    const via = proxy && `${redactUrl(proxy.url.href).replace(/\/$/, "")} (${proxy.from})`;
    const secure = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      const fail2 = (e) => reject(classifyError(e, via));
      const request = (secure ? https : http3).get(
        url,
        { signal: options.signal, headers, agent, ...secure ? { secureContext: this.secureContext } : {} },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status === 407 && via) {
            response.resume();
            return reject(new NetError("proxy", `forward proxy ${via} answered 407 Proxy Authentication Required; give its credentials in the proxy URL (http://user:password@host:port)`));
          }
          const location = response.headers.location;
          if (status >= 300 && status < 400 && location) {
            response.resume();
            return resolve({ location });
          }
          options.onHeaders?.();
          consume(response, status, response.headers["content-type"] ?? "", (bytes) => options.onData?.(bytes)).then((result) => resolve({ status, result }), fail2);
        }
      );
      request.on("error", fail2);
      request.once("socket", options.onSocket);
    });
  }
};
function watchFloor(floor) {
  const controller = new AbortController();
  let meter;
  let timer;
  return {
    signal: controller.signal,
    start: () => {
      if (meter) return;
      meter = new Throughput(floor.windowMs, performance.now());
      timer = setInterval(() => {
        if (!meter?.below(floor.bytesPerSec, performance.now())) return;
        clearInterval(timer);
        controller.abort(new SlowError(floor.bytesPerSec, floor.windowMs));
      }, stallCheckEveryMs(floor.windowMs));
      timer.unref();
    },
    add: (bytes) => meter?.add(bytes, performance.now()),
    stop: () => clearInterval(timer)
  };
}

// src/later/serve.ts
var ROUNDS = 3;
var BACKOFF_MS = 250;
var MAX_SOCKETS = 32;
async function serveJobProxy(config2, trust2) {
  const network = await loadNetworkView(processEnv(), config2.goauth, trust2);
  const client = new HttpClient(network, { maxSockets: config2.maxSockets ?? MAX_SOCKETS });
  const candidates = parseCandidates(config2.candidates.map((c) => c.spec).join(","));
  const known = knownFiles(config2.sumLines, () => false);
  let proxy;
  try {
    proxy = await startVerifyingProxy({
      client,
      candidates: candidates.map((candidate, i) => ({ candidate, latencyMs: config2.candidates[i]?.latencyMs ?? 0 })),
      known,
      secret: config2.secret,
      dir: config2.workDir,
      rounds: ROUNDS,
      backoffMs: BACKOFF_MS,
      stallTimeoutMs: config2.stallTimeoutMs,
      fileTimeoutMs: config2.timeoutMs,
      ...config2.listen ? { listen: config2.listen } : {}
    });
  } catch (e) {
    client.close();
    throw e;
  }
  if (config2.sumdb) {
    proxy.relaySumdb(config2.sumdb.name).useCandidates(parseCandidates(config2.sumdb.routes.join(",")).map((candidate) => ({ candidate, latencyMs: 0 })));
  }
  const { fetcher, local: served } = proxy;
  return {
    url: served.url,
    requests: () => served.requests,
    stats: (stopped) => ({
      requests: served.requests,
      served: served.served,
      refused: served.refused,
      files: fetcher.files,
      zips: fetcher.zips,
      bytes: fetcher.bytes,
      hedges: fetcher.hedges,
      retries: fetcher.retries,
      rejected: fetcher.rejected,
      candidates: candidates.map((c) => ({ display: c.display, stats: fetcher.stats.get(c) })),
      ...stopped ? { stopped } : {}
    }),
    async close() {
      await proxy.close();
      client.close();
      rmSync(path8.join(config2.workDir, "store"), { recursive: true, force: true });
    }
  };
}

// src/entries/job-proxy.ts
var REPORT_EVERY_MS = 2e3;
var WATCH_EVERY_MS = 2e3;
process.stdout.on("error", () => void 0);
var trust = loadTrust(processEnv());
var given = await text(process.stdin);
if (!given) process.exit(0);
var config = JSON.parse(given);
var local = await serveJobProxy(config, trust);
var report = (stopped) => {
  const temp = `${config.statsFile}.partial`;
  try {
    writeFileSync2(temp, JSON.stringify(local.stats(stopped)));
    renameSync3(temp, config.statsFile);
  } catch {
  }
};
var stopping = false;
var stop = async (why) => {
  if (stopping) return;
  stopping = true;
  await local.close();
  report(why);
  process.exit(0);
};
var lastRequests = -1;
var lastActivity = Date.now();
setInterval(() => {
  if (local.requests() !== lastRequests) {
    lastRequests = local.requests();
    lastActivity = Date.now();
    report();
  } else if (Date.now() - lastActivity > config.idleMs) void stop(`idle for ${Math.round(config.idleMs / 6e4)} min`);
}, Math.min(REPORT_EVERY_MS, config.idleMs));
setInterval(() => {
  try {
    process.kill(config.watchPid, 0);
  } catch {
    void stop("the job ended");
  }
}, WATCH_EVERY_MS);
process.on("SIGTERM", () => void stop("stopped by the post step"));
process.on("SIGINT", () => void stop("interrupted"));
report();
process.stdout.write(`ready ${local.url}
`);
