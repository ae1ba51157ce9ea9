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
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
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

// node_modules/tunnel/lib/tunnel.js
var require_tunnel = __commonJS({
  "node_modules/tunnel/lib/tunnel.js"(exports) {
    "use strict";
    var net = __require("net");
    var tls = __require("tls");
    var http = __require("http");
    var https = __require("https");
    var events = __require("events");
    var assert = __require("assert");
    var util = __require("util");
    exports.httpOverHttp = httpOverHttp2;
    exports.httpsOverHttp = httpsOverHttp2;
    exports.httpOverHttps = httpOverHttps2;
    exports.httpsOverHttps = httpsOverHttps2;
    function httpOverHttp2(options) {
      var agent = new TunnelingAgent(options);
      agent.request = http.request;
      return agent;
    }
    function httpsOverHttp2(options) {
      var agent = new TunnelingAgent(options);
      agent.request = http.request;
      agent.createSocket = createSecureSocket;
      agent.defaultPort = 443;
      return agent;
    }
    function httpOverHttps2(options) {
      var agent = new TunnelingAgent(options);
      agent.request = https.request;
      return agent;
    }
    function httpsOverHttps2(options) {
      var agent = new TunnelingAgent(options);
      agent.request = https.request;
      agent.createSocket = createSecureSocket;
      agent.defaultPort = 443;
      return agent;
    }
    function TunnelingAgent(options) {
      var self = this;
      self.options = options || {};
      self.proxyOptions = self.options.proxy || {};
      self.maxSockets = self.options.maxSockets || http.Agent.defaultMaxSockets;
      self.requests = [];
      self.sockets = [];
      self.on("free", function onFree(socket, host, port2, localAddress) {
        var options2 = toOptions(host, port2, localAddress);
        for (var i = 0, len = self.requests.length; i < len; ++i) {
          var pending = self.requests[i];
          if (pending.host === options2.host && pending.port === options2.port) {
            self.requests.splice(i, 1);
            pending.request.onSocket(socket);
            return;
          }
        }
        socket.destroy();
        self.removeSocket(socket);
      });
    }
    util.inherits(TunnelingAgent, events.EventEmitter);
    TunnelingAgent.prototype.addRequest = function addRequest(req, host, port2, localAddress) {
      var self = this;
      var options = mergeOptions({ request: req }, self.options, toOptions(host, port2, localAddress));
      if (self.sockets.length >= this.maxSockets) {
        self.requests.push(options);
        return;
      }
      self.createSocket(options, function(socket) {
        socket.on("free", onFree);
        socket.on("close", onCloseOrRemove);
        socket.on("agentRemove", onCloseOrRemove);
        req.onSocket(socket);
        function onFree() {
          self.emit("free", socket, options);
        }
        function onCloseOrRemove(err) {
          self.removeSocket(socket);
          socket.removeListener("free", onFree);
          socket.removeListener("close", onCloseOrRemove);
          socket.removeListener("agentRemove", onCloseOrRemove);
        }
      });
    };
    TunnelingAgent.prototype.createSocket = function createSocket(options, cb) {
      var self = this;
      var placeholder = {};
      self.sockets.push(placeholder);
      var connectOptions = mergeOptions({}, self.proxyOptions, {
        method: "CONNECT",
        path: options.host + ":" + options.port,
        agent: false,
        headers: {
          host: options.host + ":" + options.port
        }
      });
      if (options.localAddress) {
        connectOptions.localAddress = options.localAddress;
      }
      if (connectOptions.proxyAuth) {
        connectOptions.headers = connectOptions.headers || {};
        connectOptions.headers["Proxy-Authorization"] = "Basic " + new Buffer(connectOptions.proxyAuth).toString("base64");
      }
      debug2("making CONNECT request");
      var connectReq = self.request(connectOptions);
      connectReq.useChunkedEncodingByDefault = false;
      connectReq.once("response", onResponse);
      connectReq.once("upgrade", onUpgrade);
      connectReq.once("connect", onConnect);
      connectReq.once("error", onError);
      connectReq.end();
      function onResponse(res) {
        res.upgrade = true;
      }
      function onUpgrade(res, socket, head) {
        process.nextTick(function() {
          onConnect(res, socket, head);
        });
      }
      function onConnect(res, socket, head) {
        connectReq.removeAllListeners();
        socket.removeAllListeners();
        if (res.statusCode !== 200) {
          debug2(
            "tunneling socket could not be established, statusCode=%d",
            res.statusCode
          );
          socket.destroy();
          var error = new Error("tunneling socket could not be established, statusCode=" + res.statusCode);
          error.code = "ECONNRESET";
          options.request.emit("error", error);
          self.removeSocket(placeholder);
          return;
        }
        if (head.length > 0) {
          debug2("got illegal response body from proxy");
          socket.destroy();
          var error = new Error("got illegal response body from proxy");
          error.code = "ECONNRESET";
          options.request.emit("error", error);
          self.removeSocket(placeholder);
          return;
        }
        debug2("tunneling connection has established");
        self.sockets[self.sockets.indexOf(placeholder)] = socket;
        return cb(socket);
      }
      function onError(cause) {
        connectReq.removeAllListeners();
        debug2(
          "tunneling socket could not be established, cause=%s\n",
          cause.message,
          cause.stack
        );
        var error = new Error("tunneling socket could not be established, cause=" + cause.message);
        error.code = "ECONNRESET";
        options.request.emit("error", error);
        self.removeSocket(placeholder);
      }
    };
    TunnelingAgent.prototype.removeSocket = function removeSocket(socket) {
      var pos = this.sockets.indexOf(socket);
      if (pos === -1) {
        return;
      }
      this.sockets.splice(pos, 1);
      var pending = this.requests.shift();
      if (pending) {
        this.createSocket(pending, function(socket2) {
          pending.request.onSocket(socket2);
        });
      }
    };
    function createSecureSocket(options, cb) {
      var self = this;
      TunnelingAgent.prototype.createSocket.call(self, options, function(socket) {
        var hostHeader = options.request.getHeader("host");
        var tlsOptions = mergeOptions({}, self.options, {
          socket,
          servername: hostHeader ? hostHeader.replace(/:.*$/, "") : options.host
        });
        var secureSocket = tls.connect(0, tlsOptions);
        self.sockets[self.sockets.indexOf(socket)] = secureSocket;
        cb(secureSocket);
      });
    }
    function toOptions(host, port2, localAddress) {
      if (typeof host === "string") {
        return {
          host,
          port: port2,
          localAddress
        };
      }
      return host;
    }
    function mergeOptions(target) {
      for (var i = 1, len = arguments.length; i < len; ++i) {
        var overrides = arguments[i];
        if (typeof overrides === "object") {
          var keys = Object.keys(overrides);
          for (var j = 0, keyLen = keys.length; j < keyLen; ++j) {
            var k = keys[j];
            if (overrides[k] !== void 0) {
              target[k] = overrides[k];
            }
          }
        }
      }
      return target;
    }
    var debug2;
    if (process.env.NODE_DEBUG && /\btunnel\b/.test(process.env.NODE_DEBUG)) {
      debug2 = function() {
        var args = Array.prototype.slice.call(arguments);
        if (typeof args[0] === "string") {
          args[0] = "TUNNEL: " + args[0];
        } else {
          args.unshift("TUNNEL:");
        }
        console.error.apply(console, args);
      };
    } else {
      debug2 = function() {
      };
    }
    exports.debug = debug2;
  }
});

// node_modules/tunnel/index.js
var require_tunnel2 = __commonJS({
  "node_modules/tunnel/index.js"(exports, module) {
    module.exports = require_tunnel();
  }
});

// node_modules/@actions/core/lib/command.js
import * as os from "os";

// node_modules/@actions/core/lib/utils.js
function toCommandValue(input) {
  if (input === null || input === void 0) {
    return "";
  } else if (typeof input === "string" || input instanceof String) {
    return input;
  }
  return JSON.stringify(input);
}
function toCommandProperties(annotationProperties) {
  if (!Object.keys(annotationProperties).length) {
    return {};
  }
  return {
    title: annotationProperties.title,
    file: annotationProperties.file,
    line: annotationProperties.startLine,
    endLine: annotationProperties.endLine,
    col: annotationProperties.startColumn,
    endColumn: annotationProperties.endColumn
  };
}

// node_modules/@actions/core/lib/command.js
function issueCommand(command, properties, message) {
  const cmd = new Command(command, properties, message);
  process.stdout.write(cmd.toString() + os.EOL);
}
function issue(name, message = "") {
  issueCommand(name, {}, message);
}
var CMD_STRING = "::";
var Command = class {
  constructor(command, properties, message) {
    if (!command) {
      command = "missing.command";
    }
    this.command = command;
    this.properties = properties;
    this.message = message;
  }
  toString() {
    let cmdStr = CMD_STRING + this.command;
    if (this.properties && Object.keys(this.properties).length > 0) {
      cmdStr += " ";
      let first = true;
      for (const key in this.properties) {
        if (this.properties.hasOwnProperty(key)) {
          const val = this.properties[key];
          if (val) {
            if (first) {
              first = false;
            } else {
              cmdStr += ",";
            }
            cmdStr += `${key}=${escapeProperty(val)}`;
          }
        }
      }
    }
    cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
    return cmdStr;
  }
};
function escapeData(s) {
  return toCommandValue(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s) {
  return toCommandValue(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/:/g, "%3A").replace(/,/g, "%2C");
}

// node_modules/@actions/core/lib/core.js
import * as os3 from "os";

// node_modules/@actions/http-client/lib/index.js
var tunnel = __toESM(require_tunnel2(), 1);
var HttpCodes;
(function(HttpCodes2) {
  HttpCodes2[HttpCodes2["OK"] = 200] = "OK";
  HttpCodes2[HttpCodes2["MultipleChoices"] = 300] = "MultipleChoices";
  HttpCodes2[HttpCodes2["MovedPermanently"] = 301] = "MovedPermanently";
  HttpCodes2[HttpCodes2["ResourceMoved"] = 302] = "ResourceMoved";
  HttpCodes2[HttpCodes2["SeeOther"] = 303] = "SeeOther";
  HttpCodes2[HttpCodes2["NotModified"] = 304] = "NotModified";
  HttpCodes2[HttpCodes2["UseProxy"] = 305] = "UseProxy";
  HttpCodes2[HttpCodes2["SwitchProxy"] = 306] = "SwitchProxy";
  HttpCodes2[HttpCodes2["TemporaryRedirect"] = 307] = "TemporaryRedirect";
  HttpCodes2[HttpCodes2["PermanentRedirect"] = 308] = "PermanentRedirect";
  HttpCodes2[HttpCodes2["BadRequest"] = 400] = "BadRequest";
  HttpCodes2[HttpCodes2["Unauthorized"] = 401] = "Unauthorized";
  HttpCodes2[HttpCodes2["PaymentRequired"] = 402] = "PaymentRequired";
  HttpCodes2[HttpCodes2["Forbidden"] = 403] = "Forbidden";
  HttpCodes2[HttpCodes2["NotFound"] = 404] = "NotFound";
  HttpCodes2[HttpCodes2["MethodNotAllowed"] = 405] = "MethodNotAllowed";
  HttpCodes2[HttpCodes2["NotAcceptable"] = 406] = "NotAcceptable";
  HttpCodes2[HttpCodes2["ProxyAuthenticationRequired"] = 407] = "ProxyAuthenticationRequired";
  HttpCodes2[HttpCodes2["RequestTimeout"] = 408] = "RequestTimeout";
  HttpCodes2[HttpCodes2["Conflict"] = 409] = "Conflict";
  HttpCodes2[HttpCodes2["Gone"] = 410] = "Gone";
  HttpCodes2[HttpCodes2["TooManyRequests"] = 429] = "TooManyRequests";
  HttpCodes2[HttpCodes2["InternalServerError"] = 500] = "InternalServerError";
  HttpCodes2[HttpCodes2["NotImplemented"] = 501] = "NotImplemented";
  HttpCodes2[HttpCodes2["BadGateway"] = 502] = "BadGateway";
  HttpCodes2[HttpCodes2["ServiceUnavailable"] = 503] = "ServiceUnavailable";
  HttpCodes2[HttpCodes2["GatewayTimeout"] = 504] = "GatewayTimeout";
})(HttpCodes || (HttpCodes = {}));
var Headers;
(function(Headers2) {
  Headers2["Accept"] = "accept";
  Headers2["ContentType"] = "content-type";
})(Headers || (Headers = {}));
var MediaTypes;
(function(MediaTypes2) {
  MediaTypes2["ApplicationJson"] = "application/json";
})(MediaTypes || (MediaTypes = {}));
var HttpRedirectCodes = [
  HttpCodes.MovedPermanently,
  HttpCodes.ResourceMoved,
  HttpCodes.SeeOther,
  HttpCodes.TemporaryRedirect,
  HttpCodes.PermanentRedirect
];
var HttpResponseRetryCodes = [
  HttpCodes.BadGateway,
  HttpCodes.ServiceUnavailable,
  HttpCodes.GatewayTimeout
];

// node_modules/@actions/core/lib/summary.js
import { EOL as EOL2 } from "os";
import { constants, promises } from "fs";
var __awaiter = function(thisArg, _arguments, P, generator) {
  function adopt(value) {
    return value instanceof P ? value : new P(function(resolve) {
      resolve(value);
    });
  }
  return new (P || (P = Promise))(function(resolve, reject) {
    function fulfilled(value) {
      try {
        step(generator.next(value));
      } catch (e) {
        reject(e);
      }
    }
    function rejected(value) {
      try {
        step(generator["throw"](value));
      } catch (e) {
        reject(e);
      }
    }
    function step(result) {
      result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected);
    }
    step((generator = generator.apply(thisArg, _arguments || [])).next());
  });
};
var { access, appendFile, writeFile } = promises;
var SUMMARY_ENV_VAR = "GITHUB_STEP_SUMMARY";
var Summary = class {
  constructor() {
    this._buffer = "";
  }
  /**
   * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
   * Also checks r/w permissions.
   *
   * @returns step summary file path
   */
  filePath() {
    return __awaiter(this, void 0, void 0, function* () {
      if (this._filePath) {
        return this._filePath;
      }
      const pathFromEnv = process.env[SUMMARY_ENV_VAR];
      if (!pathFromEnv) {
        throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
      }
      try {
        yield access(pathFromEnv, constants.R_OK | constants.W_OK);
      } catch (_a) {
        throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
      }
      this._filePath = pathFromEnv;
      return this._filePath;
    });
  }
  /**
   * Wraps content in an HTML tag, adding any HTML attributes
   *
   * @param {string} tag HTML tag to wrap
   * @param {string | null} content content within the tag
   * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
   *
   * @returns {string} content wrapped in HTML element
   */
  wrap(tag, content, attrs = {}) {
    const htmlAttrs = Object.entries(attrs).map(([key, value]) => ` ${key}="${value}"`).join("");
    if (!content) {
      return `<${tag}${htmlAttrs}>`;
    }
    return `<${tag}${htmlAttrs}>${content}</${tag}>`;
  }
  /**
   * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
   *
   * @param {SummaryWriteOptions} [options] (optional) options for write operation
   *
   * @returns {Promise<Summary>} summary instance
   */
  write(options) {
    return __awaiter(this, void 0, void 0, function* () {
      const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
      const filePath = yield this.filePath();
      const writeFunc = overwrite ? writeFile : appendFile;
      yield writeFunc(filePath, this._buffer, { encoding: "utf8" });
      return this.emptyBuffer();
    });
  }
  /**
   * Clears the summary buffer and wipes the summary file
   *
   * @returns {Summary} summary instance
   */
  clear() {
    return __awaiter(this, void 0, void 0, function* () {
      return this.emptyBuffer().write({ overwrite: true });
    });
  }
  /**
   * Returns the current summary buffer as a string
   *
   * @returns {string} string of summary buffer
   */
  stringify() {
    return this._buffer;
  }
  /**
   * If the summary buffer is empty
   *
   * @returns {boolen} true if the buffer is empty
   */
  isEmptyBuffer() {
    return this._buffer.length === 0;
  }
  /**
   * Resets the summary buffer without writing to summary file
   *
   * @returns {Summary} summary instance
   */
  emptyBuffer() {
    this._buffer = "";
    return this;
  }
  /**
   * Adds raw text to the summary buffer
   *
   * @param {string} text content to add
   * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
   *
   * @returns {Summary} summary instance
   */
  addRaw(text, addEOL = false) {
    this._buffer += text;
    return addEOL ? this.addEOL() : this;
  }
  /**
   * Adds the operating system-specific end-of-line marker to the buffer
   *
   * @returns {Summary} summary instance
   */
  addEOL() {
    return this.addRaw(EOL2);
  }
  /**
   * Adds an HTML codeblock to the summary buffer
   *
   * @param {string} code content to render within fenced code block
   * @param {string} lang (optional) language to syntax highlight code
   *
   * @returns {Summary} summary instance
   */
  addCodeBlock(code, lang) {
    const attrs = Object.assign({}, lang && { lang });
    const element = this.wrap("pre", this.wrap("code", code), attrs);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML list to the summary buffer
   *
   * @param {string[]} items list of items to render
   * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
   *
   * @returns {Summary} summary instance
   */
  addList(items, ordered = false) {
    const tag = ordered ? "ol" : "ul";
    const listItems = items.map((item) => this.wrap("li", item)).join("");
    const element = this.wrap(tag, listItems);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML table to the summary buffer
   *
   * @param {SummaryTableCell[]} rows table rows
   *
   * @returns {Summary} summary instance
   */
  addTable(rows) {
    const tableBody = rows.map((row) => {
      const cells = row.map((cell) => {
        if (typeof cell === "string") {
          return this.wrap("td", cell);
        }
        const { header, data, colspan, rowspan } = cell;
        const tag = header ? "th" : "td";
        const attrs = Object.assign(Object.assign({}, colspan && { colspan }), rowspan && { rowspan });
        return this.wrap(tag, data, attrs);
      }).join("");
      return this.wrap("tr", cells);
    }).join("");
    const element = this.wrap("table", tableBody);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds a collapsable HTML details element to the summary buffer
   *
   * @param {string} label text for the closed state
   * @param {string} content collapsable content
   *
   * @returns {Summary} summary instance
   */
  addDetails(label, content) {
    const element = this.wrap("details", this.wrap("summary", label) + content);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML image tag to the summary buffer
   *
   * @param {string} src path to the image you to embed
   * @param {string} alt text description of the image
   * @param {SummaryImageOptions} options (optional) addition image attributes
   *
   * @returns {Summary} summary instance
   */
  addImage(src, alt, options) {
    const { width, height } = options || {};
    const attrs = Object.assign(Object.assign({}, width && { width }), height && { height });
    const element = this.wrap("img", null, Object.assign({ src, alt }, attrs));
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML section heading element
   *
   * @param {string} text heading text
   * @param {number | string} [level=1] (optional) the heading level, default: 1
   *
   * @returns {Summary} summary instance
   */
  addHeading(text, level) {
    const tag = `h${level}`;
    const allowedTag = ["h1", "h2", "h3", "h4", "h5", "h6"].includes(tag) ? tag : "h1";
    const element = this.wrap(allowedTag, text);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML thematic break (<hr>) to the summary buffer
   *
   * @returns {Summary} summary instance
   */
  addSeparator() {
    const element = this.wrap("hr", null);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML line break (<br>) to the summary buffer
   *
   * @returns {Summary} summary instance
   */
  addBreak() {
    const element = this.wrap("br", null);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML blockquote to the summary buffer
   *
   * @param {string} text quote text
   * @param {string} cite (optional) citation url
   *
   * @returns {Summary} summary instance
   */
  addQuote(text, cite) {
    const attrs = Object.assign({}, cite && { cite });
    const element = this.wrap("blockquote", text, attrs);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML anchor tag to the summary buffer
   *
   * @param {string} text link text/content
   * @param {string} href hyperlink
   *
   * @returns {Summary} summary instance
   */
  addLink(text, href) {
    const element = this.wrap("a", text, { href });
    return this.addRaw(element).addEOL();
  }
};
var _summary = new Summary();

// node_modules/@actions/core/lib/platform.js
import os2 from "os";

// node_modules/@actions/io/lib/io-util.js
import * as fs from "fs";
var { chmod, copyFile, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, symlink, unlink } = fs.promises;
var IS_WINDOWS = process.platform === "win32";
var READONLY = fs.constants.O_RDONLY;

// node_modules/@actions/exec/lib/toolrunner.js
var IS_WINDOWS2 = process.platform === "win32";

// node_modules/@actions/core/lib/platform.js
var platform = os2.platform();
var arch = os2.arch();

// node_modules/@actions/core/lib/core.js
var __awaiter2 = function(thisArg, _arguments, P, generator) {
  function adopt(value) {
    return value instanceof P ? value : new P(function(resolve) {
      resolve(value);
    });
  }
  return new (P || (P = Promise))(function(resolve, reject) {
    function fulfilled(value) {
      try {
        step(generator.next(value));
      } catch (e) {
        reject(e);
      }
    }
    function rejected(value) {
      try {
        step(generator["throw"](value));
      } catch (e) {
        reject(e);
      }
    }
    function step(result) {
      result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected);
    }
    step((generator = generator.apply(thisArg, _arguments || [])).next());
  });
};
var ExitCode;
(function(ExitCode2) {
  ExitCode2[ExitCode2["Success"] = 0] = "Success";
  ExitCode2[ExitCode2["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
function setSecret(secret) {
  issueCommand("add-mask", {}, secret);
}
function warning(message, properties = {}) {
  issueCommand("warning", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
function info(message) {
  process.stdout.write(message + os3.EOL);
}
function startGroup(name) {
  issue("group", name);
}
function endGroup() {
  issue("endgroup");
}
function group(name, fn) {
  return __awaiter2(this, void 0, void 0, function* () {
    startGroup(name);
    let result;
    try {
      result = yield fn();
    } finally {
      endGroup();
    }
    return result;
  });
}
function getState(name) {
  return process.env[`STATE_${name}`] || "";
}

// src/action/post.ts
import { appendFile as appendFile2 } from "node:fs/promises";

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
function usePort(adapter) {
  const before = current;
  current = adapter;
  return before;
}

// src/cache/build.ts
import { createHash } from "node:crypto";
import { promises as fs3 } from "node:fs";
import path3 from "node:path";

// src/cache/service.ts
import { fileURLToPath } from "node:url";

// src/util/process.ts
import { spawn, spawnSync } from "node:child_process";

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
var live = /* @__PURE__ */ new Map();
var cleanups = /* @__PURE__ */ new Set();
var REAP_WAIT_MS = 2e3;
function spawnGroup(command, args, options) {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    // POSIX: a new process group led by the child. Windows has no groups; taskkill /T walks the tree.
    detached: process.platform !== "win32",
    // Descriptors the child inherits, as 3, 4 and on
    stdio: ["ignore", "pipe", "pipe", ...options.inherit ?? []],
    windowsHide: true
  });
  const exited = new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  for (const stream of [child.stdout, child.stderr]) if (stream) eachLine(stream, options.onLine);
  const pid = child.pid;
  if (pid === void 0) return { exited, kill: () => exited };
  const forget = killGroupOnCancel(pid, exited.catch(() => void 0));
  void exited.finally(forget).catch(() => void 0);
  return {
    exited,
    kill: async () => {
      killTree(pid);
      const exit = await exited;
      await groupGone(pid, REAP_WAIT_MS);
      return exit;
    }
  };
}
async function groupGone(pid, limitMs) {
  if (process.platform === "win32") return;
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
function eachLine(stream, onLine) {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop();
    for (const line of lines) onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  });
  stream.on("end", () => {
    if (rest !== "") onLine(rest);
  });
}
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

// src/util/timing.ts
import { setTimeout as sleep } from "node:timers/promises";
var DeadlineError = class extends Error {
  constructor(what, ms) {
    super(`${what} took longer than ${formatDuration(ms)} and was abandoned`);
    this.name = "DeadlineError";
  }
};
async function withDeadline(work, ms, what) {
  const controller = new AbortController();
  const deadline = sleep(ms, void 0, { signal: controller.signal, ref: false }).then(() => {
    throw new DeadlineError(what, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    controller.abort();
    deadline.catch(() => void 0);
  }
}
var CHECK_BYTES_PER_SECOND = 8 << 20;

// src/util/untrusted.ts
var LINE_BREAK = /\r\n|\r|\n/;
var COMMAND_START = /^([\p{White_Space}\p{Cf}]*::)/u;
var BRACKET_COMMAND = /##\[/g;
function inert(text) {
  return text.split(LINE_BREAK).map((line) => line.replace(BRACKET_COMMAND, "##[\\").replace(COMMAND_START, "$1\\")).join("\n");
}
var CACHE_COMMAND = /^::(add-mask|debug|notice|warning|error)( [^:\r\n]*)?::[^\r\n]*$/;
function cacheLogLine(line) {
  return CACHE_COMMAND.test(line) ? line : inert(line);
}

// src/cache/mode.ts
var KNOWN_MODES = ["none", "read", "write", "write-only"];
var WRITE_DENIED = "cache write denied:";
function cacheMode(env = process.env) {
  return (env.ACTIONS_CACHE_MODE || "").trim().toLowerCase();
}
function modeReadable(mode) {
  return !KNOWN_MODES.includes(mode) || mode === "read" || mode === "write";
}
function modeWritable(mode) {
  return !KNOWN_MODES.includes(mode) || mode === "write" || mode === "write-only";
}
function readForbidden() {
  const mode = cacheMode();
  return modeReadable(mode) ? void 0 : `ACTIONS_CACHE_MODE is ${mode}`;
}
function writeForbidden() {
  const mode = cacheMode();
  return modeWritable(mode) ? void 0 : `ACTIONS_CACHE_MODE is ${mode}`;
}
function savePolicy(why) {
  return `${readForbidden() ? "off" : "restore-only"} by policy (${why})`;
}

// src/cache/staging.ts
import { randomBytes } from "node:crypto";
import { closeSync as closeSync2, fstatSync as fstatSync2, lstatSync as lstatSync2, openSync as openSync2, promises as fs2, readdirSync, readSync as readSync2, unlinkSync as unlinkSync2, writeFileSync, writeSync as writeSync2 } from "node:fs";
import path2 from "node:path";

// src/util/confined.ts
import { chmodSync, closeSync, constants as constants3, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { lstat as lstat2, readdir as readdir2, rmdir as rmdir2, unlink as unlink2 } from "node:fs/promises";
import path from "node:path";
import { isMainThread } from "node:worker_threads";
var O_NOFOLLOW = constants3.O_NOFOLLOW ?? 0;
var O_DIRECTORY = constants3.O_DIRECTORY ?? 0;
var O_NONBLOCK = constants3.O_NONBLOCK ?? 0;
var DIRECTORY = constants3.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;
var READ_NO_FOLLOW = constants3.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
var CREATE_NEW = constants3.O_WRONLY | constants3.O_CREAT | constants3.O_EXCL | O_NOFOLLOW;
var WINDOWS = process.platform === "win32";
var procPid = process.platform === "linux" ? procSelf() : void 0;
var byDescriptor = procPid !== void 0 && isDirectory2(`/proc/${procPid}/fd`);
function procSelf() {
  try {
    return readlinkSync("/proc/self");
  } catch {
    return void 0;
  }
}
function isDirectory2(dir) {
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
function lstatOf(file) {
  try {
    return lstatSync(file);
  } catch {
    return void 0;
  }
}
function kindOf(file) {
  const stats = lstatOf(file);
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
  return walk(new Dir(WINDOWS ? void 0 : openSync(root, constants3.O_RDONLY | O_DIRECTORY), root), true, names, 0, create, void 0, device);
}
function openSubdir(dir, name, rel, device) {
  return openChild(dir, name, false, () => rel, device);
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
      const opened = openSync(root, constants3.O_RDONLY | O_DIRECTORY);
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
function readRegular(file, maxBytes) {
  return readOpened(openRegular(file), maxBytes);
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
function openRegular(file) {
  let fd;
  try {
    fd = openSync(file, READ_NO_FOLLOW);
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
function openDirAt(file, shown = file) {
  try {
    return openDirectory(file, shown);
  } catch {
    return void 0;
  }
}
function openDirectory(file, shown) {
  if (!WINDOWS) return new Dir(openSync(file, DIRECTORY), shown);
  const stats = lstatSync(file);
  if (!stats.isDirectory()) throw Object.assign(new Error(`${file} is not a directory`), { code: stats.isSymbolicLink() ? "ELOOP" : "ENOTDIR" });
  return new Dir(void 0, shown);
}
async function removeEntry(dir, name) {
  const target = dir.entry(name);
  const stats = await lstat2(target).catch(() => void 0);
  if (!stats) return;
  const inner = stats.isDirectory() ? openDirAt(target, path.join(dir.shown, name)) : void 0;
  if (!inner) return unlink2(target).catch(ignoreGone);
  try {
    if ((stats.mode & 448) !== 448) inner.chmod(stats.mode | 448);
    for (const child of await readdir2(inner.path)) await removeEntry(inner, child);
  } finally {
    inner.close();
  }
  await rmdir2(target).catch(ignoreGone);
}
function ignoreGone(e) {
  if (e.code !== "ENOENT") throw e;
}

// src/cache/owner.ts
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
function thisProcess() {
  const started = startTime(process.pid);
  return started === void 0 ? { pid: process.pid } : { pid: process.pid, started };
}
function isAlive(owner) {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if (e.code !== "EPERM") return false;
  }
  return owner.started === void 0 || startTime(owner.pid) === owner.started;
}
function startTime(pid) {
  try {
    const stat2 = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat2.slice(stat2.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
  }
  try {
    return execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || void 0;
  } catch {
    return void 0;
  }
}

// src/cache/staging.ts
var CLAIMING_MS = 6e4;
var OWNER_MAX_BYTES = 4096;
var CHILD_FD = 3;
var entryIn = (dir) => path2.join(dir, "entry");
async function claimStaging(dir, root = path2.dirname(dir)) {
  const rel = path2.relative(root, path2.dirname(dir));
  if (rel.startsWith("..") || path2.isAbsolute(rel)) throw new Error(`${dir} is not below ${root}`);
  await fs2.mkdir(root, { recursive: true });
  const parent = openDir(root, rel.split(path2.sep).join("/"), true, (await fs2.stat(root)).dev);
  const name = path2.basename(dir);
  let held;
  try {
    for (let tries = 0; ; tries++) {
      try {
        await fs2.mkdir(parent.entry(name), { mode: 448 });
        break;
      } catch (e) {
        if (e.code !== "EEXIST" || tries > 1) throw e;
        await reclaim(parent, name, dir);
      }
    }
    held = heldFolder(parent, name, dir);
  } catch (e) {
    parent.close();
    throw e;
  }
  let released;
  const release2 = () => released ??= releaseOnce();
  const releaseOnce = async () => {
    try {
      for (const entry of await fs2.readdir(held.path)) await removeEntry(held, entry);
      const now = lstatOf(parent.entry(name));
      const own = held.stat();
      if (now?.dev === own.dev && now.ino === own.ino) await fs2.rmdir(parent.entry(name)).catch(() => void 0);
    } finally {
      held.close();
      parent.close();
    }
  };
  const forget = cleanUpOnCancel(release2);
  try {
    writeFileSync(held.entry("owner"), JSON.stringify(thisProcess()), { flag: "wx" });
    await fs2.mkdir(held.entry("entry"));
  } catch (e) {
    forget();
    await release2();
    throw e;
  }
  return {
    entry: entryIn(dir),
    held: { entry: held.entry("entry"), archive: held.entry("archive") },
    child: childNames(held),
    release: async () => {
      forget();
      await release2();
    }
  };
}
function childNames(held) {
  const { inherit, path: folder } = held.inChild(CHILD_FD);
  return { fd: inherit, entry: `${folder}/entry`, archive: `${folder}/archive` };
}
function heldFolder(parent, name, dir) {
  const held = openDirAt(parent.entry(name), dir);
  if (!held) throw new Error(`${dir} was replaced as it was made`);
  const stat2 = held.stat();
  const uid = process.getuid?.();
  if (uid !== void 0 && stat2.uid !== uid || process.platform !== "win32" && (stat2.mode & 63) !== 0 || readdirSync(held.path).length > 0) {
    held.close();
    throw new Error(`${dir} was replaced as it was made`);
  }
  return held;
}
async function reclaim(parent, name, dir) {
  const owner = ownerOf(parent, name);
  if (owner === "claiming" || owner && isAlive(owner)) {
    throw new Error(`another job on this runner is using ${dir}${owner === "claiming" ? "" : ` (process ${owner.pid})`}`);
  }
  const aside = `${name}.${randomBytes(6).toString("hex")}.stale`;
  await fs2.rename(parent.entry(name), parent.entry(aside));
  if (JSON.stringify(ownerOf(parent, aside)) !== JSON.stringify(owner)) {
    await fs2.rename(parent.entry(aside), parent.entry(name)).catch(() => void 0);
    throw new Error(`another job on this runner is using ${dir}`);
  }
  await removeEntry(parent, aside);
}
function ownerOf(parent, name) {
  const stat2 = lstatOf(parent.entry(name));
  if (!stat2) return void 0;
  const folder = stat2.isDirectory() && stat2.dev === parent.stat().dev ? openDirAt(parent.entry(name)) : void 0;
  try {
    if (folder && folder.stat().dev === stat2.dev) return JSON.parse(readRegular(folder.entry("owner"), OWNER_MAX_BYTES).toString("utf8"));
  } catch {
  } finally {
    folder?.close();
  }
  return Date.now() - stat2.mtimeMs < CLAIMING_MS ? "claiming" : void 0;
}
async function stage(root, entry, paths, admit) {
  const staged = { bytes: 0, skipped: [] };
  const { dev } = await fs2.stat(root);
  for (const rel of paths) {
    const found = within(root, rel, dev);
    if (found === void 0) continue;
    if (typeof found === "string") {
      staged.skipped.push({ path: rel, why: found });
      continue;
    }
    let files;
    try {
      files = found.tree ? await treeFiles(found.tree, rel, dev) : [{ rel, stat: found.stat }];
    } finally {
      found.tree?.close();
    }
    const problem = typeof files === "string" ? files : await firstProblem(files, root, dev, admit);
    if (problem !== void 0) {
      staged.skipped.push({ path: rel, why: problem });
      continue;
    }
    for (const file of files) {
      const to = path2.join(entry, file.rel);
      await fs2.mkdir(path2.dirname(to), { recursive: true });
      if (!await linkChecked(root, file, to)) {
        staged.skipped.push({ path: rel, why: `${file.rel} changed after it was checked` });
        continue;
      }
      staged.bytes += file.stat.size;
    }
  }
  return staged;
}
async function linkChecked(root, file, to) {
  let dir;
  try {
    dir = openDir(root, path2.posix.dirname(file.rel), false, file.stat.dev);
  } catch {
    return false;
  }
  const same = (s) => s.isFile() && s.dev === file.stat.dev && s.ino === file.stat.ino && s.size === file.stat.size && s.mtimeMs === file.stat.mtimeMs;
  try {
    const from = dir.entry(path2.posix.basename(file.rel));
    try {
      await fs2.link(from, to);
    } catch {
      let fd;
      try {
        fd = openRegular(from);
      } catch {
        return false;
      }
      try {
        if (!same(fstatSync2(fd))) return false;
        const out = openSync2(to, CREATE_NEW, 420);
        try {
          const buffer = Buffer.allocUnsafe(1 << 16);
          for (let at = 0, n; (n = readSync2(fd, buffer, 0, buffer.length, at)) > 0; at += n) writeSync2(out, buffer, 0, n);
        } finally {
          closeSync2(out);
        }
        return true;
      } finally {
        closeSync2(fd);
      }
    }
    const linked = lstatSync2(to);
    if (same(linked) && linked.nlink === 2) return true;
    unlinkSync2(to);
    return false;
  } finally {
    dir.close();
  }
}
function within(root, rel, dev) {
  const dir = path2.posix.dirname(rel);
  const name = path2.posix.basename(rel);
  try {
    const parent = openDirIfThere(root, dir === "." ? "" : dir, dev);
    if (!parent) return void 0;
    try {
      const stat2 = lstatOf(parent.entry(name));
      if (!stat2?.isDirectory()) return stat2 && { stat: stat2 };
      return { stat: stat2, tree: openSubdir(parent, name, rel, dev) };
    } finally {
      parent.close();
    }
  } catch (e) {
    if (e instanceof NotADirectory) return `${e.rel} is ${e.kind}`;
    if (e instanceof OnAnotherFileSystem) return e.message;
    if (e.code === "ENOENT") return `${rel} changed while it was read`;
    throw e;
  }
}
async function treeFiles(dir, rel, dev) {
  const files = [];
  for (const name of await fs2.readdir(dir.path)) {
    const stat2 = lstatOf(dir.entry(name));
    const childRel = `${rel}/${name}`;
    if (!stat2) return `${childRel} changed while it was read`;
    if (stat2.dev !== dev) return `${childRel} is on another file system`;
    if (!stat2.isDirectory()) {
      files.push({ rel: childRel, stat: stat2 });
      continue;
    }
    let inner;
    try {
      inner = openSubdir(dir, name, childRel, dev);
    } catch (e) {
      if (e instanceof OnAnotherFileSystem) return e.message;
      if (e instanceof NotADirectory || e.code === "ENOENT") return `${childRel} changed while it was read`;
      throw e;
    }
    try {
      const below = await treeFiles(inner, childRel, dev);
      if (typeof below === "string") return below;
      files.push(...below);
    } finally {
      inner.close();
    }
  }
  return files;
}
async function firstProblem(files, root, dev, admit) {
  for (const { rel, stat: stat2 } of files) {
    if (!stat2.isFile()) return `${rel} is ${describe(stat2)}`;
    if (stat2.nlink !== 1) return `${rel} is a hard link (${stat2.nlink} names): its contents are not only the cache\u2019s`;
    if (stat2.dev !== dev) return `${rel} is on another file system`;
    const why = await admit?.(rel, root, stat2);
    if (why !== void 0) return `${rel}: ${why}`;
  }
  return void 0;
}

// src/cache/service.ts
var RESULT_MARKER = "go-mod-download cache result: ";
var REFUSED_SHOWN = 10;
async function saveEntry(stash, key, paths, limitMs, admit) {
  const forbidden = writeForbidden();
  if (forbidden) return { state: "policy", why: savePolicy(forbidden) };
  const started = performance.now();
  try {
    const staging = await claimStaging(stash.staging, stash.root);
    try {
      const { bytes, skipped } = await stage(stash.root, staging.held.entry, paths, admit);
      if (skipped.length > 0) port.warning(`Not saved in the cache entry, not being the cache\u2019s own: ${skipped.slice(0, REFUSED_SHOWN).map((s) => `${s.path} (${s.why})`).join("; ")}${skipped.length > REFUSED_SHOWN ? `; and ${skipped.length - REFUSED_SHOWN} more` : ""}.`);
      const { result, log } = await inChild(SAVE_ENTRY, [staging.entry, key], limitMs, "Cache save");
      const durationMs = performance.now() - started;
      if (result.id === -1 && log.some(writeDenied)) return { state: "policy", why: savePolicy(`the cache service answered \u201C${WRITE_DENIED.slice(0, -1)}\u201D`), durationMs };
      if (result.id === -1 || log.some((line) => /^::(warning|error)::Failed to save/.test(line))) return { state: "failed", why: "not saved (the log says why)", durationMs };
      return { state: "saved", why: "saved", durationMs, bytes };
    } finally {
      await staging.release();
    }
  } catch (e) {
    return { state: "failed", why: `save failed: ${e.message}`, durationMs: performance.now() - started };
  }
}
var fromSource = import.meta.url.endsWith(".ts");
var RESTORE_ENTRY = fileURLToPath(new URL(fromSource ? "../entries/cache-restore.ts" : "./restore.js", import.meta.url));
var SAVE_ENTRY = fileURLToPath(new URL(fromSource ? "../entries/cache-save.ts" : "./save.js", import.meta.url));
async function inChild(entry, args, limitMs, what, inheritedFd) {
  let result;
  const log = [];
  const child = spawnGroup(process.execPath, [entry, ...args], {
    cwd: process.cwd(),
    env: processEnv(),
    ...inheritedFd === void 0 ? {} : { inherit: [inheritedFd] },
    onLine: (line) => {
      if (line.startsWith(RESULT_MARKER)) result = JSON.parse(line.slice(RESULT_MARKER.length));
      else {
        process.stdout.write(`${cacheLogLine(writeDenied(line) ? line.replace(/^::warning::/, "") : line)}
`);
        log.push(line);
      }
    }
  });
  const outcome = await withDeadline(child.exited, limitMs, what).catch(async (e) => {
    if (e instanceof DeadlineError) await child.kill();
    throw e;
  });
  if (outcome.code !== 0 || !result) throw new Error(`the ${what.toLowerCase()} process ended with ${outcome.code ?? outcome.signal}: ${log.slice(-5).join(" / ")}`);
  return { result, log };
}
var writeDenied = (line) => line.startsWith("::warning::Failed to save: ") && line.includes(WRITE_DENIED);

// src/cache/build.ts
var BACKDATE_MS = 2 * 60 * 60 * 1e3;
function buildEntryKey(prefix, entries) {
  return prefix + createHash("sha256").update([...entries].sort().join("\n")).digest("hex").slice(0, 16);
}
var buildStash = (gocache) => ({ root: gocache, staging: path3.join(gocache, "go-mod-download-staging") });
var BUILD_STATE = "build-cache";
async function saveBuildCache(state) {
  const entries = await entriesUsedSince(state.gocache, state.sinceMs);
  if (entries.length === 0) return { state: "skipped", why: "not saved: the job used no build cache entry", entries: 0 };
  const key = buildEntryKey(state.prefix, entries);
  if (state.matchedKey?.toLowerCase() === key.toLowerCase()) return { state: "skipped", why: "not saved: unchanged since it was restored", key, entries: entries.length };
  return { ...await saveEntry(buildStash(state.gocache), key, entries, state.limitMs), key, entries: entries.length };
}
async function entriesUsedSince(gocache, sinceMs) {
  const used = [];
  for (const entry of await goEntries(gocache)) {
    const stat2 = await fs3.lstat(path3.join(gocache, entry));
    if (stat2.mtimeMs >= sinceMs) used.push(entry);
  }
  return used;
}
async function goEntries(gocache) {
  const entries = [];
  for (const dir of await fs3.readdir(gocache).catch(() => [])) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue;
    for (const entry of await fs3.readdir(path3.join(gocache, dir), { withFileTypes: true }).catch(() => [])) {
      if (entry.isFile() && /^[0-9a-f]{64}-[ad]$/.test(entry.name)) entries.push(`${dir}/${entry.name}`);
    }
  }
  return entries;
}

// src/later/config.ts
var LATER_STEPS_STATE = "later-steps";
var WORK_DIR_PREFIX = "go-mod-download-later-";
var STATS_FILE = "stats.json";
var LAUNCH_RECORD = "launched.json";

// src/later/stop.ts
import { lstatSync as lstatSync3, promises as fs4, readFileSync as readFileSync3, realpathSync } from "node:fs";
import os4 from "node:os";
import path4 from "node:path";
import { setTimeout as sleep2 } from "node:timers/promises";

// src/later/identity.ts
import { execFileSync as execFileSync2 } from "node:child_process";
import { readFileSync as readFileSync2, readlinkSync as readlinkSync2 } from "node:fs";
function processIdentity(pid) {
  if (!Number.isSafeInteger(pid) || pid <= 1) return void 0;
  return process.platform === "linux" ? fromProc(pid) : process.platform === "win32" ? void 0 : fromPs(pid);
}
function fromProc(pid) {
  try {
    const stat2 = readFileSync2(`/proc/${pid}/stat`, "utf8");
    const fields = stat2.slice(stat2.lastIndexOf(")") + 2).split(" ");
    const argv = readFileSync2(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (argv.at(-1) === "") argv.pop();
    return { startTime: fields[19], group: Number(fields[2]), argv, exe: readlinkSync2(`/proc/${pid}/exe`), cwd: readlinkSync2(`/proc/${pid}/cwd`) };
  } catch {
    return void 0;
  }
}
function fromPs(pid) {
  try {
    const [startTime2, rest] = ["lstart", "pgid,args"].map(
      (columns) => execFileSync2("ps", ["-o", `${columns.split(",").map((c) => `${c}=`).join(",")}`, "-p", String(pid)], { encoding: "utf8", timeout: 5e3, stdio: ["ignore", "pipe", "ignore"] }).trim()
    );
    const [group2, ...argv] = rest.split(/\s+/);
    if (!startTime2 || !group2) return void 0;
    return { startTime: startTime2, group: Number(group2), argv };
  } catch {
    return void 0;
  }
}

// src/later/stop.ts
var GRACE_MS = 3e3;
var WORK_DIR_NAME = new RegExp(`^${WORK_DIR_PREFIX}[A-Za-z0-9]{6}$`);
function verifyState(state, runnerTemp = process.env.RUNNER_TEMP || os4.tmpdir()) {
  const claim = state;
  if (typeof claim !== "object" || claim === null || !Number.isSafeInteger(claim.pid) || typeof claim.statsFile !== "string") return "it is not a PID and a stats file";
  const { pid, statsFile } = claim;
  const dir = path4.dirname(statsFile);
  if (path4.basename(statsFile) !== STATS_FILE || !WORK_DIR_NAME.test(path4.basename(dir))) return `${statsFile} is not in a folder the step makes`;
  let record;
  try {
    if (!lstatSync3(dir).isDirectory() || path4.dirname(realpathSync(dir)) !== realpathSync(runnerTemp)) return `${dir} is not a folder in RUNNER_TEMP`;
    record = JSON.parse(readFileSync3(path4.join(dir, LAUNCH_RECORD), "utf8"));
  } catch {
    return `${dir} holds no record of a launch by the step`;
  }
  if (record.pid !== pid) return `${dir} records the launch of PID ${record.pid}, not ${pid}`;
  return { dir: realpathSync(dir), record };
}
function isLaunched(now, record, dir) {
  return now !== void 0 && now.startTime === record.startTime && now.argv.join(" ") === record.argv.join(" ") && now.group === record.pid && (record.exe === void 0 || now.exe === record.exe) && (now.cwd === void 0 || now.cwd === dir);
}
async function stopJobProxy(state) {
  const verified = verifyState(state);
  if (typeof verified === "string") return { wasRunning: false, refused: verified };
  const { dir, record } = verified;
  const readStats = () => fs4.readFile(path4.join(dir, STATS_FILE), "utf8").then((text) => JSON.parse(text), () => void 0);
  if (record.startTime === "") {
    const stats2 = await readStats();
    return { wasRunning: false, unchecked: true, ...stats2 ? { stats: stats2 } : {} };
  }
  const ours = () => isLaunched(processIdentity(record.pid), record, dir);
  const wasRunning = ours();
  if (wasRunning) {
    signalGroup(record.pid, "SIGTERM");
    const deadline = Date.now() + GRACE_MS;
    while (ours() && Date.now() < deadline) await sleep2(50);
    if (ours()) signalGroup(record.pid, "SIGKILL");
  }
  const stats = await readStats();
  await fs4.rm(dir, { recursive: true, force: true });
  return { wasRunning, ...stats ? { stats } : {} };
}

// src/util/size.ts
var formatSize = (bytes) => {
  if (bytes === void 0) return "";
  return bytes <= 1023 << 10 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
};

// src/report/markdown.ts
var asIs = (text) => text;
var MARKUP = /[\\`*[\]<>&~]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;
var BLOCK_START = /^[#+\-=]/;
var MODULE_AT_VERSION = /[^\s`@]+@v\d[^\s,;()]*(?<![.:])/gu;
function withModules(text, words, module) {
  const flat = text.replace(/\s*[\r\n]+\s*/g, " ");
  let out = "";
  let at = 0;
  for (const match of flat.matchAll(MODULE_AT_VERSION)) {
    out += words(flat.slice(at, match.index), at === 0) + module(match[0]);
    at = match.index + match[0].length;
  }
  return out + words(flat.slice(at), at === 0);
}
function plain(text) {
  return withModules(text, escaped, codeSpan);
}
var escaped = (text, atStart) => {
  const inline = text.replace(MARKUP, "\\$&");
  return atStart ? inline.replace(BLOCK_START, "\\$&") : inline;
};
function codeSpan(text) {
  const flat = text.replace(/[\r\n]+/g, " ");
  if (flat.trim() === "") return plain("\u2014");
  const fence = "`".repeat(Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = /^[` ]|[` ]$/.test(flat) ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}
function markdown(text, redact = asIs) {
  return (Array.isArray(text) ? text : [text]).map((part) => typeof part === "string" ? plain(redact(part)) : codeSpan(redact(part.quoted))).join("");
}
function table(header, rows, redact = asIs) {
  const cell = (text) => markdown(text, redact).replace(/(\\*)\|/g, (_, run) => `${run}${run.length % 2 === 1 ? "\\" : ""}\\|`);
  return [header.map(cell), header.map(() => "---"), ...rows.map((r) => r.map(cell))].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

// src/report/model.ts
var quoted = (text) => ({ quoted: text });

// src/report/build-save.ts
function buildSaveMarkdown(report) {
  const figures = [formatSize(report.bytes), report.durationMs === void 0 ? "" : formatDuration(report.durationMs)].filter(Boolean).map((f) => `, ${f}`).join("");
  return [
    "#### Build cache, saved after the job",
    "",
    table(
      ["Save", "Key", "Entries used or written by the job"],
      // A failed save's why quotes the cache process's log: the cache service's words.
      [[[report.state === "failed" ? quoted(report.why) : report.why, figures], report.key ?? "\u2014", String(report.entries)]]
    ),
    ""
  ].join("\n");
}

// src/report/later-steps.ts
function laterStepsMarkdown(end) {
  const lines = ["#### Later steps, through the action\u2019s proxy", ""];
  const s = end.stats;
  if (s) {
    const n = (x) => String(x);
    lines.push(
      table(
        ["go\u2019s requests", "Served", "Files fetched (zips)", "Data from upstreams", "Hedges", "Retries", "Wrong bytes rejected", "Refused (no secret)"],
        [[n(s.requests), n(s.served), `${s.files} (${s.zips})`, formatSize(s.bytes), n(s.hedges), n(s.retries), n(s.rejected), n(s.refused)]]
      ),
      "",
      table(
        ["Upstream", "Requests", "Data", "Served", "Failures", "Stalls", "Hedges won / lost"],
        s.candidates.map(({ display, stats: c }) => [display, n(c.requests), formatSize(c.bytes), n(c.served), n(c.failures), n(c.stalls), `${c.hedgesWon} / ${c.hedgesLost}`])
      ),
      ""
    );
  }
  if (!end.wasRunning && !end.unchecked) {
    const why = s?.stopped ? ` (${s.stopped})` : " (it was killed)";
    lines.push(`> ${markdown(`\u26A0\uFE0F It had stopped before the end of the job${why}; go commands after that went straight to the chain.`)}`, "");
  } else if (!s) lines.push("> It reported nothing.", "");
  return lines.join("\n");
}

// src/action/post-job.ts
async function runPost(state) {
  const proxy = state(LATER_STEPS_STATE);
  const build = state(BUILD_STATE);
  const parts = [];
  if (proxy) {
    const part = await stopProxy(proxy);
    if (part) parts.push(part);
  }
  if (build) parts.push(await saveBuild(JSON.parse(build)));
  return parts.join("\n");
}
async function stopProxy(state) {
  let claim;
  try {
    claim = JSON.parse(state);
  } catch {
    claim = void 0;
  }
  const end = await stopJobProxy(claim);
  if (end.refused) {
    port.warning(`The post step's state for the action's proxy was refused, and nothing was signalled or deleted: ${end.refused}.`);
    return void 0;
  }
  if (end.unchecked) port.info("This system tells nothing of the action's proxy process, so it was not signalled; the runner ends the job's processes.");
  else if (!end.wasRunning) port.warning(`The action's proxy for later steps had stopped before the end of the job${end.stats?.stopped ? ` (${end.stats.stopped})` : ""}.`);
  port.info(`Later steps asked the action's proxy ${end.stats?.requests ?? 0} times.`);
  return laterStepsMarkdown(end);
}
async function saveBuild(state) {
  let report;
  try {
    report = await port.group("Save the build cache", () => saveBuildCache(state));
  } catch (e) {
    report = { state: "failed", why: `save failed: ${e.message}`, entries: 0 };
  }
  if (report.state === "failed") port.warning(`Build cache ${report.why}`);
  else port.info(`Build cache: ${report.why}`);
  return buildSaveMarkdown(report);
}

// src/action/port.ts
var actionPort = {
  info: (line) => info(line),
  echo: (text) => info(inert(text)),
  warning: (line) => warning(line),
  group: (name, work) => group(name, work),
  secret: (value) => setSecret(value),
  // The Actions log is read afterwards: the summary says what the fetch did.
  progress: () => void 0
};

// src/action/post.ts
async function runPostAction() {
  usePort(actionPort);
  const markdown2 = await runPost((name) => getState(name));
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file && markdown2) await appendFile2(file, markdown2);
}

// src/entries/post.ts
await runPostAction();
process.exit();
