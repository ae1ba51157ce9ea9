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
    for (let key4 of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key4) && key4 !== except)
        __defProp(to, key4, { get: () => from[key4], enumerable: !(desc = __getOwnPropDesc(from, key4)) || desc.enumerable });
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
    var net5 = __require("net");
    var tls5 = __require("tls");
    var http4 = __require("http");
    var https2 = __require("https");
    var events = __require("events");
    var assert5 = __require("assert");
    var util = __require("util");
    exports.httpOverHttp = httpOverHttp2;
    exports.httpsOverHttp = httpsOverHttp2;
    exports.httpOverHttps = httpOverHttps2;
    exports.httpsOverHttps = httpsOverHttps2;
    function httpOverHttp2(options) {
      var agent = new TunnelingAgent(options);
      agent.request = http4.request;
      return agent;
    }
    function httpsOverHttp2(options) {
      var agent = new TunnelingAgent(options);
      agent.request = http4.request;
      agent.createSocket = createSecureSocket;
      agent.defaultPort = 443;
      return agent;
    }
    function httpOverHttps2(options) {
      var agent = new TunnelingAgent(options);
      agent.request = https2.request;
      return agent;
    }
    function httpsOverHttps2(options) {
      var agent = new TunnelingAgent(options);
      agent.request = https2.request;
      agent.createSocket = createSecureSocket;
      agent.defaultPort = 443;
      return agent;
    }
    function TunnelingAgent(options) {
      var self = this;
      self.options = options || {};
      self.proxyOptions = self.options.proxy || {};
      self.maxSockets = self.options.maxSockets || http4.Agent.defaultMaxSockets;
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
      debug5("making CONNECT request");
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
          debug5(
            "tunneling socket could not be established, statusCode=%d",
            res.statusCode
          );
          socket.destroy();
          var error2 = new Error("tunneling socket could not be established, statusCode=" + res.statusCode);
          error2.code = "ECONNRESET";
          options.request.emit("error", error2);
          self.removeSocket(placeholder);
          return;
        }
        if (head.length > 0) {
          debug5("got illegal response body from proxy");
          socket.destroy();
          var error2 = new Error("got illegal response body from proxy");
          error2.code = "ECONNRESET";
          options.request.emit("error", error2);
          self.removeSocket(placeholder);
          return;
        }
        debug5("tunneling connection has established");
        self.sockets[self.sockets.indexOf(placeholder)] = socket;
        return cb(socket);
      }
      function onError(cause) {
        connectReq.removeAllListeners();
        debug5(
          "tunneling socket could not be established, cause=%s\n",
          cause.message,
          cause.stack
        );
        var error2 = new Error("tunneling socket could not be established, cause=" + cause.message);
        error2.code = "ECONNRESET";
        options.request.emit("error", error2);
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
        var secureSocket = tls5.connect(0, tlsOptions);
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
    var debug5;
    if (process.env.NODE_DEBUG && /\btunnel\b/.test(process.env.NODE_DEBUG)) {
      debug5 = function() {
        var args = Array.prototype.slice.call(arguments);
        if (typeof args[0] === "string") {
          args[0] = "TUNNEL: " + args[0];
        } else {
          args.unshift("TUNNEL:");
        }
        console.error.apply(console, args);
      };
    } else {
      debug5 = function() {
      };
    }
    exports.debug = debug5;
  }
});

// node_modules/tunnel/index.js
var require_tunnel2 = __commonJS({
  "node_modules/tunnel/index.js"(exports, module) {
    module.exports = require_tunnel();
  }
});

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
        return parse2(val);
      } else if (type === "number" && isFinite(val)) {
        return options.long ? fmtLong(val) : fmtShort(val);
      }
      throw new Error(
        "val is not a non-empty string or a valid number. val=" + JSON.stringify(val)
      );
    };
    function parse2(str) {
      str = String(str);
      if (str.length > 100) {
        return;
      }
      var match4 = /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i.exec(
        str
      );
      if (!match4) {
        return;
      }
      var n = parseFloat(match4[1]);
      var type = (match4[2] || "ms").toLowerCase();
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
      Object.keys(env).forEach((key4) => {
        createDebug4[key4] = env[key4];
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
        function debug5(...args) {
          if (!debug5.enabled) {
            return;
          }
          const self = debug5;
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
          args[0] = args[0].replace(/%([a-zA-Z%])/g, (match4, format) => {
            if (match4 === "%%") {
              return "%";
            }
            index++;
            const formatter = createDebug4.formatters[format];
            if (typeof formatter === "function") {
              const val = args[index];
              match4 = formatter.call(self, val);
              args.splice(index, 1);
              index--;
            }
            return match4;
          });
          createDebug4.formatArgs.call(self, args);
          const logFn = self.log || createDebug4.log;
          logFn.apply(self, args);
        }
        debug5.namespace = namespace;
        debug5.useColors = createDebug4.useColors();
        debug5.color = createDebug4.selectColor(namespace);
        debug5.extend = extend;
        debug5.destroy = createDebug4.destroy;
        Object.defineProperty(debug5, "enabled", {
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
          createDebug4.init(debug5);
        }
        return debug5;
      }
      function extend(namespace, delimiter2) {
        const newDebug = createDebug4(this.namespace + (typeof delimiter2 === "undefined" ? ":" : delimiter2) + namespace);
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
      args[0].replace(/%[a-zA-Z%]/g, (match4) => {
        if (match4 === "%%") {
          return;
        }
        index++;
        if (match4 === "%c") {
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
      } catch (error2) {
      }
    }
    function load() {
      let r;
      try {
        r = exports.storage.getItem("debug") || exports.storage.getItem("DEBUG");
      } catch (error2) {
      }
      if (!r && typeof process !== "undefined" && "env" in process) {
        r = process.env.DEBUG;
      }
      return r;
    }
    function localstorage() {
      try {
        return localStorage;
      } catch (error2) {
      }
    }
    module.exports = require_common()(exports);
    var { formatters } = module.exports;
    formatters.j = function(v) {
      try {
        return JSON.stringify(v);
      } catch (error2) {
        return "[UnexpectedJSONParseError]: " + error2.message;
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
    } catch (error2) {
    }
    exports.inspectOpts = Object.keys(process.env).filter((key4) => {
      return /^debug_/i.test(key4);
    }).reduce((obj, key4) => {
      const prop = key4.substring(6).toLowerCase().replace(/_([a-z])/g, (_, k) => {
        return k.toUpperCase();
      });
      let val = process.env[key4];
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
    function init(debug5) {
      debug5.inspectOpts = {};
      const keys = Object.keys(exports.inspectOpts);
      for (let i = 0; i < keys.length; i++) {
        debug5.inspectOpts[keys[i]] = exports.inspectOpts[keys[i]];
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
      for (const key4 in this.properties) {
        if (this.properties.hasOwnProperty(key4)) {
          const val = this.properties[key4];
          if (val) {
            if (first) {
              first = false;
            } else {
              cmdStr += ",";
            }
            cmdStr += `${key4}=${escapeProperty(val)}`;
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

// node_modules/@actions/core/lib/file-command.js
import * as crypto from "crypto";
import * as fs from "fs";
import * as os2 from "os";
function issueFileCommand(command, message) {
  const filePath2 = process.env[`GITHUB_${command}`];
  if (!filePath2) {
    throw new Error(`Unable to find environment variable for file command ${command}`);
  }
  if (!fs.existsSync(filePath2)) {
    throw new Error(`Missing file at path: ${filePath2}`);
  }
  fs.appendFileSync(filePath2, `${toCommandValue(message)}${os2.EOL}`, {
    encoding: "utf8"
  });
}
function prepareKeyValueMessage(key4, value) {
  const delimiter2 = `ghadelimiter_${crypto.randomUUID()}`;
  const convertedValue = toCommandValue(value);
  if (key4.includes(delimiter2)) {
    throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter2}"`);
  }
  if (convertedValue.includes(delimiter2)) {
    throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter2}"`);
  }
  return `${key4}<<${delimiter2}${os2.EOL}${convertedValue}${os2.EOL}${delimiter2}`;
}

// node_modules/@actions/core/lib/core.js
import * as os4 from "os";
import * as path from "path";

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
import { EOL as EOL3 } from "os";
import { constants, promises } from "fs";
var __awaiter = function(thisArg, _arguments, P, generator) {
  function adopt2(value) {
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
      result.done ? resolve(result.value) : adopt2(result.value).then(fulfilled, rejected);
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
      } catch (_a2) {
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
    const htmlAttrs = Object.entries(attrs).map(([key4, value]) => ` ${key4}="${value}"`).join("");
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
      const filePath2 = yield this.filePath();
      const writeFunc = overwrite ? writeFile : appendFile;
      yield writeFunc(filePath2, this._buffer, { encoding: "utf8" });
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
    return this.addRaw(EOL3);
  }
  /**
   * Adds an HTML codeblock to the summary buffer
   *
   * @param {string} code content to render within fenced code block
   * @param {string} lang (optional) language to syntax highlight code
   *
   * @returns {Summary} summary instance
   */
  addCodeBlock(code2, lang) {
    const attrs = Object.assign({}, lang && { lang });
    const element = this.wrap("pre", this.wrap("code", code2), attrs);
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
import os3 from "os";

// node_modules/@actions/io/lib/io-util.js
import * as fs2 from "fs";
var { chmod, copyFile, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, symlink, unlink } = fs2.promises;
var IS_WINDOWS = process.platform === "win32";
var READONLY = fs2.constants.O_RDONLY;

// node_modules/@actions/exec/lib/toolrunner.js
var IS_WINDOWS2 = process.platform === "win32";

// node_modules/@actions/core/lib/platform.js
var platform = os3.platform();
var arch = os3.arch();

// node_modules/@actions/core/lib/core.js
var __awaiter2 = function(thisArg, _arguments, P, generator) {
  function adopt2(value) {
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
      result.done ? resolve(result.value) : adopt2(result.value).then(fulfilled, rejected);
    }
    step((generator = generator.apply(thisArg, _arguments || [])).next());
  });
};
var ExitCode;
(function(ExitCode2) {
  ExitCode2[ExitCode2["Success"] = 0] = "Success";
  ExitCode2[ExitCode2["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
function exportVariable(name, val) {
  const convertedVal = toCommandValue(val);
  process.env[name] = convertedVal;
  const filePath2 = process.env["GITHUB_ENV"] || "";
  if (filePath2) {
    return issueFileCommand("ENV", prepareKeyValueMessage(name, val));
  }
  issueCommand("set-env", { name }, convertedVal);
}
function setSecret(secret) {
  issueCommand("add-mask", {}, secret);
}
function addPath(inputPath) {
  const filePath2 = process.env["GITHUB_PATH"] || "";
  if (filePath2) {
    issueFileCommand("PATH", inputPath);
  } else {
    issueCommand("add-path", {}, inputPath);
  }
  process.env["PATH"] = `${inputPath}${path.delimiter}${process.env["PATH"]}`;
}
function getInput(name, options) {
  const val = process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] || "";
  if (options && options.required && !val) {
    throw new Error(`Input required and not supplied: ${name}`);
  }
  if (options && options.trimWhitespace === false) {
    return val;
  }
  return val.trim();
}
function setOutput(name, value) {
  const filePath2 = process.env["GITHUB_OUTPUT"] || "";
  if (filePath2) {
    return issueFileCommand("OUTPUT", prepareKeyValueMessage(name, value));
  }
  process.stdout.write(os4.EOL);
  issueCommand("set-output", { name }, toCommandValue(value));
}
function setFailed(message) {
  process.exitCode = ExitCode.Failure;
  error(message);
}
function debug(message) {
  issueCommand("debug", {}, message);
}
function error(message, properties = {}) {
  issueCommand("error", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
function warning(message, properties = {}) {
  issueCommand("warning", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
function info(message) {
  process.stdout.write(message + os4.EOL);
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
function saveState(name, value) {
  const filePath2 = process.env["GITHUB_STATE"] || "";
  if (filePath2) {
    return issueFileCommand("STATE", prepareKeyValueMessage(name, value));
  }
  issueCommand("save-state", { name }, toCommandValue(value));
}

// src/engine/run.ts
import path28 from "node:path";

// src/cache/keys.ts
import { createHash } from "node:crypto";
var KEY_PREFIX = "go-mod-download";
function cacheKeys(facts) {
  const base = `${KEY_PREFIX}-${facts.os}-${facts.arch}-${facts.contents}-`;
  return { key: base + filesHash(facts.files), restoreKeys: [base] };
}
function filesHash(files) {
  const hash = createHash("sha256");
  for (const file2 of [...files].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) {
    hash.update(`${file2.path}\0${createHash("sha256").update(file2.content).digest("hex")}
`);
  }
  return hash.digest("hex");
}
function saveDecision(facts) {
  if (!facts.cacheEnabled) return { save: false, why: "cache is off" };
  if (!facts.goSum) return { save: false, why: "there is no go.sum to check it against" };
  if (!facts.downloadOk) return { save: false, why: "the download did not complete" };
  if (!facts.saveCache) return { save: false, why: "save-cache is false" };
  if (facts.restore === "exact") return { save: false, why: "the exact key was restored" };
  if (facts.restore === "unavailable") return { save: false, why: "no cache service" };
  if (facts.restore === "failed" && facts.key !== void 0 && facts.matchedKey !== void 0 && sameKey(facts.key, facts.matchedKey)) {
    return { save: false, why: "an entry under this key exists (its restore failed)" };
  }
  if (facts.restore === "timed-out") return { save: false, why: "the cache service did not answer the restore in time" };
  return { save: true, why: "" };
}
var PRINTABLE_ASCII = /^[ -~]*$/;
function sameKey(a, b) {
  return PRINTABLE_ASCII.test(a) && PRINTABLE_ASCII.test(b) ? a.toLowerCase() === b.toLowerCase() : a.localeCompare(b, void 0, { sensitivity: "accent" }) === 0;
}

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

// src/util/duration.ts
var UNIT_MS = {
  ns: 1e-6,
  us: 1e-3,
  \u00B5s: 1e-3,
  \u03BCs: 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 36e5
};
var PLAIN_SECONDS = /^\d+(\.\d+)?$/;
var GO_DURATION = /^(\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
function parseDuration(text) {
  const s = text.trim();
  if (PLAIN_SECONDS.test(s)) return Number(s) * 1e3;
  if (s === "") return void 0;
  let rest = s;
  let total = 0;
  while (rest !== "") {
    const m = GO_DURATION.exec(rest);
    if (!m) return void 0;
    total += Number(m[1]) * UNIT_MS[m[3]];
    rest = rest.slice(m[0].length);
  }
  return total;
}
function formatDuration(ms) {
  if (Math.round(ms) < 1e3) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1e3);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  const minutes = Math.round(ms / 6e4);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
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
  const decode = (text) => {
    if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw new Error("its user name or password holds an invalid %-escape");
    try {
      return decodeURIComponent(text);
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
  let info2;
  try {
    info2 = userinfoOf(raw);
  } catch {
    const written2 = WITH_USERINFO.exec(raw)?.[2];
    info2 = written2 === void 0 ? void 0 : { username: written2, password: "", written: written2 };
  }
  if (!info2) return [];
  const { username, password, written } = info2;
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
function goEscape(text) {
  return [...Buffer.from(text)].map((b) => GO_USERINFO_KEPT.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}
function maskSecrets(text, secrets) {
  return [...secrets].filter((s) => s !== "").sort((a, b) => b.length - a.length).reduce((t, s) => t.split(s).join("***"), text);
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
function escapeCase(text) {
  return text.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}
function unescapeCase(escaped4) {
  if (/[A-Z]|[^\u0000-\u007f]|!(?![a-z])/.test(escaped4)) return void 0;
  return escaped4.replace(/!([a-z])/g, (_, c) => c.toUpperCase());
}

// src/module/path.ts
function modulePathProblem(path34) {
  if (path34 === "") return "empty string";
  if (path34.startsWith("-")) return "leading dash";
  if (path34.includes("//")) return "double slash";
  if (path34.endsWith("/")) return "trailing slash";
  for (const elem of path34.split("/")) {
    const problem = elementProblem(elem, "module");
    if (problem) return problem;
  }
  const first = path34.split("/")[0];
  if (!first.includes(".")) return "missing dot in first path element";
  const bad = /[^a-z0-9.-]/.exec(first);
  if (bad) return `invalid char ${JSON.stringify(bad[0])} in first path element`;
  if (splitPathVersion(path34) === void 0) return "invalid version";
  return void 0;
}
function splitPathVersion(path34) {
  if (path34.startsWith("gopkg.in/")) {
    const m2 = /^(.*)(\.v(\d+)(?:-unstable)?)$/.exec(path34);
    if (!m2) return void 0;
    const major = m2[2];
    if (m2[3].startsWith("0") && major !== ".v0") return void 0;
    return { prefix: m2[1], major };
  }
  const m = /\/v([0-9.]+)$/.exec(path34);
  if (!m) return { prefix: path34, major: "" };
  const suffix = m[1];
  if (suffix.includes(".") || suffix.startsWith("0") || suffix === "1") return void 0;
  return { prefix: path34.slice(0, m.index), major: `/v${suffix}` };
}
function escapePath(path34) {
  const problem = modulePathProblem(path34);
  if (problem) throw new Error(`malformed module path ${JSON.stringify(path34)}: ${problem}`);
  return escapeCase(path34);
}
function unescapePath(escaped4) {
  const path34 = unescapeCase(escaped4);
  return path34 !== void 0 && modulePathProblem(path34) === void 0 ? path34 : void 0;
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
function unescapeVersion(escaped4) {
  const version = unescapeCase(escaped4);
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
function wirePath(path34) {
  return path34.split("/").map((element) => [...Buffer.from(element)].map((b) => /[A-Za-z0-9\-._~$&+:=@]/.test(String.fromCharCode(b)) && b < 128 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("")).join("/");
}
function parseRequestPath(path34) {
  const decoded = [];
  for (const element of path34.split("/")) {
    let text;
    try {
      text = decodeURIComponent(element);
    } catch {
      return { problem: "malformed percent-encoding" };
    }
    if (text.includes("/")) return { problem: "an encoded / in the path" };
    decoded.push(text);
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
function parseCandidates(text) {
  const entries = text.split(/[\n\r,|]+/).map((e) => e.trim()).filter((e) => e !== "");
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
      if (e instanceof EntryError && !entry.includes("@") && text.includes("@")) throw new EntryError(entry, e.problem, { cause: e, split: true });
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
function assembleChain(candidates, chosen) {
  const queue = [...chosen];
  const chain = [];
  let slots = 0;
  for (const candidate of candidates) {
    if (candidate.keyword) {
      chain.push(candidate);
    } else if (slots < chosen.length) {
      chain.push(queue.shift());
      slots++;
    }
  }
  return chain;
}
function rotateChain(chain, turns) {
  const urls = chain.filter((c) => !c.keyword);
  if (urls.length === 0) return chain;
  const shift = turns % urls.length;
  const rotated = [...urls.slice(shift), ...urls.slice(0, shift)];
  return chain.map((c) => c.keyword ? c : rotated.shift());
}
function candidatesOf(chain, requests) {
  return chain.filter((c) => !c.keyword && requests.some((url) => requestBase(url).startsWith(`${requestBase(c.spec).replace(/\/$/, "")}/`)));
}
function demote(chain, troubled) {
  const demoted = chain.filter((c) => troubled.includes(c));
  if (demoted.length === 0 || demoted.length === chain.filter((c) => !c.keyword).length) return { chain, demoted: [] };
  const order = [...chain.filter((c) => !c.keyword && !demoted.includes(c)), ...demoted];
  return { chain: chain.map((c) => c.keyword ? c : order.shift()), demoted };
}
function leaveOut(chain, out) {
  const kept2 = chain.filter((c) => !out.includes(c));
  return kept2.some((c) => !c.keyword || c.spec === "direct" || c.dir !== void 0) ? kept2 : chain;
}
function requestBase(url) {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return url;
  }
}
function goproxyValue(chain) {
  return chain.map((c) => c.spec).join("|");
}
function goproxyDisplay(chain) {
  return chain.map((c) => c.display).join("|");
}
function requestUrl(candidate, path34) {
  return `${candidate.spec.replace(/\/+$/, "")}/${wirePath(path34.replace(/^\/+/, ""))}`;
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
  const error2 = e;
  const code2 = error2.code ?? "";
  const message = error2.code && !error2.message.includes(error2.code) ? `${error2.message} (${error2.code})` : error2.message;
  let kind = "other";
  if (error2.name === "AbortError" || error2.name === "TimeoutError") kind = "silent";
  else if (code2 === "ECONNREFUSED") kind = "refused";
  else if (code2 === "ECONNRESET" || code2 === "EPIPE" || /socket hang up/.test(error2.message)) kind = "reset";
  else if (code2 === "ENOTFOUND" || code2 === "EAI_AGAIN") kind = "dns";
  else if (TLS_CODES.test(code2) || /certificate|SSL routines|TLS/i.test(error2.message)) kind = "tls";
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
function answered(kind) {
  return kind !== "silent";
}
function goMayNotShare(kind) {
  return kind === "tls" || kind === "proxy";
}

// src/util/timing.ts
import { setTimeout as sleep } from "node:timers/promises";
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
var PROBE_CUTOFF_FLOOR_MS = 500;
var PROBE_CUTOFF_FACTOR = 4;
function probeCutoffMs(firstHealthyMs, timeoutMs) {
  return Math.min(timeoutMs, Math.max(PROBE_CUTOFF_FLOOR_MS, PROBE_CUTOFF_FACTOR * firstHealthyMs));
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
var DeadlineError = class extends Error {
  constructor(what, ms) {
    super(`${what} took longer than ${formatDuration(ms)} and was abandoned`);
    this.name = "DeadlineError";
  }
};
async function withDeadline(work, ms, what) {
  const controller = new AbortController();
  const deadline2 = sleep(ms, void 0, { signal: controller.signal, ref: false }).then(() => {
    throw new DeadlineError(what, ms);
  });
  try {
    return await Promise.race([work, deadline2]);
  } finally {
    controller.abort();
    deadline2.catch(() => void 0);
  }
}
var LOCK_WAIT_MS = 1e4;
var CHECK_BYTES_PER_SECOND = 8 << 20;
var CHECK_FLOOR_MS = 1e4;
function checkDeadlineMs(bytes) {
  return CHECK_FLOOR_MS + Math.ceil(bytes / CHECK_BYTES_PER_SECOND * 1e3);
}

// src/probe/cutoff.ts
var Cutoff = class {
  /** Aborted, with the reason to report, for every request still waiting at the cut-off. */
  signal;
  controller = new AbortController();
  startedAt = performance.now();
  timeoutMs;
  timer;
  constructor(timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.signal = this.controller.signal;
  }
  /** `who` answered after `latencyMs`: the first answer sets the cut-off for the others. */
  answered(latencyMs, who) {
    if (this.timer) return;
    const deadline2 = probeCutoffMs(latencyMs, this.timeoutMs);
    const reason = `no answer within ${formatDuration(deadline2)}, while ${who} answered in ${formatDuration(latencyMs)}`;
    this.timer = setTimeout(() => this.controller.abort(reason), Math.max(0, this.startedAt + deadline2 - performance.now()));
    this.timer.unref();
  }
  /** Every request is settled: no cut-off is needed any more. */
  clear() {
    clearTimeout(this.timer);
  }
};

// src/go/sumdb.ts
function parseGosumdb(value) {
  const [key4, url] = value.trim().split(/\s+/);
  if (!key4 || key4 === "off") return void 0;
  const name = key4.split("+")[0];
  return { key: key4, name, url: (url ?? `https://${name}`).replace(/\/+$/, ""), explicit: url !== void 0 };
}
var MAX_BODY = 64 << 10;
async function probeSumdb(client, candidates, route2, timeoutMs, events) {
  const cutoff = new Cutoff(timeoutMs);
  let asked;
  try {
    asked = await Promise.all(
      candidates.filter((c) => !c.keyword && !route2.explicit).map(async (candidate) => {
        const answer2 = await ask(client, requestUrl(candidate, `sumdb/${route2.name}/supported`), timeoutMs, cutoff.signal);
        if (answer2.status !== void 0) cutoff.answered(answer2.ms, candidate.display);
        const proxies = answer2.status === 200;
        if (proxies) events?.proxies(candidate, answer2.ms);
        const reason = proxies ? `proxies it (${formatDuration(answer2.ms)})` : answer2.status ? `does not proxy it (HTTP ${answer2.status})` : answer2.error;
        return { candidate, proxies, reason };
      })
    );
  } finally {
    cutoff.clear();
  }
  events?.candidatesDone();
  const probe = { route: route2, proxiedBy: asked.filter((a) => a.proxies).map((a) => a.candidate), candidates: asked };
  if (probe.proxiedBy.length === 0) {
    const answer2 = await ask(client, `${route2.url}/latest`, timeoutMs);
    probe.direct = answer2.status === 200 && answer2.body?.startsWith("go.sum database tree") ? { ok: true, reason: `answered directly in ${formatDuration(answer2.ms)}` } : { ok: false, reason: answer2.status ? `HTTP ${answer2.status} from ${route2.url}/latest` : answer2.error };
  }
  return probe;
}
async function ask(client, url, timeoutMs, cutoff) {
  const started = performance.now();
  try {
    const answer2 = await client.get(url, {
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...cutoff ? [cutoff] : []]),
      maxBytes: MAX_BODY,
      floor: { bytesPerSec: FLOOR_BYTES_PER_SEC, windowMs: timeoutMs }
    });
    return { status: answer2.status, body: answer2.body.toString("utf8", 0, 64), ms: performance.now() - started };
  } catch (e) {
    if (cutoff?.aborted) return { ms: performance.now() - started, error: String(cutoff.reason) };
    const error2 = classifyError(e);
    return { ms: performance.now() - started, error: error2.kind === "silent" ? `no answer within ${formatDuration(timeoutMs)}` : error2.message };
  }
}
function through(c, name) {
  return { spec: `${c.spec.replace(/\/+$/, "")}/sumdb/${name}`, display: `${c.display.replace(/\/+$/, "")}/sumdb/${name}`, keyword: false };
}
function sumdbRelay(p) {
  const { route: route2 } = p;
  const proxied = route2.explicit ? [] : p.proxiedBy;
  return { name: route2.name, key: route2.key, routes: [...proxied.map((c) => through(c, route2.name)), { spec: route2.url, display: route2.url, keyword: false }] };
}
var SumdbRoutes = class {
  route;
  /** What the probe found, once every candidate answered or was cut off (and the database was asked, when none proxies it). */
  done;
  proxying = [];
  candidatesDone = false;
  listeners = [];
  /** One route object per candidate, and one for the database: the relay's fetcher keeps what it learns of each by object. */
  routes = /* @__PURE__ */ new Map();
  constructor(client, candidates, route2, timeoutMs) {
    this.route = route2;
    this.done = probeSumdb(client, candidates, route2, timeoutMs, {
      proxies: (candidate, latencyMs) => {
        this.proxying.push({ candidate, latencyMs });
        this.changed();
      },
      candidatesDone: () => {
        this.candidatesDone = true;
        this.changed();
      }
    });
  }
  /**
   * The relay's routes among `chain` (go's chain: a candidate the probe left out is not asked),
   * in its order: those that proxy the database so far, then, once every candidate has answered,
   * the database itself; `final` then.
   */
  relay(chain) {
    const { name, url } = this.route;
    const stable = (c) => {
      if (!this.routes.has(c.spec)) this.routes.set(c.spec, c);
      return this.routes.get(c.spec);
    };
    const proxied = chain.flatMap((c) => this.proxying.filter((p) => p.candidate.spec === c.spec).map((p) => ({ candidate: stable(through(c, name)), latencyMs: p.latencyMs })));
    const direct = this.candidatesDone ? [{ candidate: stable({ spec: url, display: url, keyword: false }), latencyMs: 0 }] : [];
    return { routes: [...proxied, ...direct], final: this.candidatesDone };
  }
  /** `listener` now, and on every new route. */
  follow(listener) {
    this.listeners.push(listener);
    listener();
  }
  changed() {
    for (const listener of this.listeners) listener();
  }
};
function describeSumdb(p, relayed) {
  const routes = p.route.explicit ? ["GOSUMDB names its URL, so go asks it alone"] : p.candidates.map((c) => `${c.candidate.display} ${c.reason}`);
  const direct = p.direct ? [`${p.route.url} ${p.direct.ok ? p.direct.reason : `did not answer: ${p.direct.reason}`}`] : [];
  const how = relayed ? ` go's lookups went through the local proxy, ${p.proxiedBy.length > 0 ? "over the candidates that proxy it, then the database itself" : "to the database itself"}, with the same limits and failover as module files.` : "";
  return `Checksum database ${p.route.name} (asked for modules go.sum lacks): ${[...routes, ...direct].join("; ")}.${how}`;
}

// src/later/config.ts
var LATER_STEPS_STATE = "later-steps";
var WORK_DIR_PREFIX = "go-mod-download-later-";
var STATS_FILE = "stats.json";
var LAUNCH_RECORD = "launched.json";

// src/later/export.ts
async function exportChain(o) {
  const urls = o.chain.filter((c) => !c.keyword);
  let front;
  let laterSteps;
  let postState;
  if (o.later && o.downloadOk && urls.length > 0) {
    try {
      const proxy = await o.later.start({
        candidates: urls.map((c) => ({ spec: c.spec, latencyMs: o.probes.find((p) => p.candidate === c)?.latencyMs ?? 0 })),
        sumLines: o.sumLines,
        goauth: o.goauth,
        idleMs: o.idleMs,
        stallTimeoutMs: o.stallTimeoutMs,
        timeoutMs: o.timeoutMs,
        // A GOSUMDB with its own URL is asked directly by go, never through a proxy.
        ...o.sumdb && !o.sumdb.route.explicit ? { sumdb: { name: o.sumdb.route.name, routes: sumdbRelay(o.sumdb).routes.map((c) => c.spec) } } : {}
      });
      port.secret(proxy.secret);
      postState = { [LATER_STEPS_STATE]: JSON.stringify({ pid: proxy.pid, statsFile: proxy.statsFile }) };
      front = { url: proxy.url, display: proxy.url.replace(proxy.secret, "***") };
      laterSteps = `Later steps reach the action\u2019s proxy first (${front.display}; stopped by the post step, or after ${formatDuration(o.idleMs)} idle), with the same hedging, failover and go.sum checks; if it is gone, go moves straight on to the chain behind it.`;
    } catch (e) {
      laterSteps = `Later steps are not protected: ${e.message}. They use the chain as exported.`;
      port.warning(laterSteps);
    }
  }
  return {
    exported: [...front ? [front.display] : [], goproxyDisplay(o.chain)].join("|"),
    goproxy: [...front ? [front.url] : [], goproxyValue(o.chain)].join("|"),
    ...laterSteps ? { laterSteps } : {},
    ...postState ? { postState } : {}
  };
}

// src/later/start.ts
import { spawn as spawn2 } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os6 from "node:os";
import path4 from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep2 } from "node:timers/promises";
import { fileURLToPath as fileURLToPath2 } from "node:url";

// src/go/goenv.ts
import { accessSync, constants as constants3, existsSync as existsSync2, readdirSync, statSync } from "node:fs";
import os5 from "node:os";
import path3 from "node:path";

// src/util/process.ts
import { spawn, spawnSync } from "node:child_process";
import path2 from "node:path";
var OUTPUT_TIMEOUT_MS = 6e4;
function output(command, args, options) {
  const { timeoutMs = OUTPUT_TIMEOUT_MS, input = "", maxBytes = 64 * 1024 * 1024, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: ["pipe", "pipe", "pipe"], windowsHide: true, detached: process.platform !== "win32" });
    const exited = new Promise((done) => child.once("close", () => done()));
    const forget = child.pid === void 0 ? () => void 0 : killGroupOnCancel(child.pid, exited);
    let failure;
    const stop = (why) => {
      failure ??= why;
      if (child.pid !== void 0) killTree(child.pid);
    };
    const timer = setTimeout(() => stop(new Error(`${path2.basename(command)} ${args[0] ?? ""} did not finish within ${formatDuration(timeoutMs)}, and was killed`)), timeoutMs);
    const collected = { stdout: [], stderr: [], bytes: 0 };
    for (const name of ["stdout", "stderr"]) {
      child[name].on("data", (chunk) => {
        collected[name].push(chunk);
        collected.bytes += chunk.length;
        if (collected.bytes > maxBytes) stop(new Error(`${path2.basename(command)} ${args[0] ?? ""} printed more than ${maxBytes} bytes`));
      });
    }
    child.once("error", (e) => failure ??= e);
    child.once("close", (code2, signal) => {
      clearTimeout(timer);
      forget();
      if (failure) return reject(failure);
      if (code2 === null) return reject(new Error(`${path2.basename(command)} ${args[0] ?? ""} was ended by ${signal}`));
      resolve({ code: code2, stdout: Buffer.concat(collected.stdout).toString(), stderr: Buffer.concat(collected.stderr).toString() });
    });
    child.stdin.on("error", () => void 0);
    child.stdin.end(input);
  });
}
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
    child.once("close", (code2, signal) => resolve({ code: code2, signal }));
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
  const deadline2 = performance.now() + limitMs;
  while (performance.now() < deadline2) {
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
var handling = false;
var cancelledWith;
function cancelExitCode() {
  return cancelledWith;
}
function killTreesOnSignals(stopped) {
  if (handling) return;
  handling = true;
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      cancelledWith = signal === "SIGINT" ? 130 : 143;
      const gone = [...live.values(), ...[...cleanups].map((cleanup) => cleanup().catch(() => void 0))];
      for (const pid of live.keys()) killTree(pid);
      const limit = new Promise((resolve) => setTimeout(resolve, REAP_WAIT_MS));
      void Promise.race([Promise.all(gone), limit]).then(() => {
        stopped?.(signal);
        process.exit(cancelledWith);
      });
    });
  }
}

// src/go/goenv.ts
var NAMES = ["GOPROXY", "GOMODCACHE", "GOCACHE", "GOVERSION", "GOFLAGS", "GOOS", "GOARCH", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOAUTH", "GOWORK", "GOENV", "GOROOT", "GOHOSTOS", "GOHOSTARCH", "GOSUMDB"];
var EXE = process.platform === "win32" ? "go.exe" : "go";
async function findGo() {
  const onPath = (process.env.PATH ?? "").split(path3.delimiter).filter(Boolean).map((dir) => path3.join(dir, EXE)).find(executable);
  if (onPath) return onPath;
  const newest = goInToolCache();
  if (newest) return newest;
  throw new Error("go was not found on PATH nor in the tool cache; put go on PATH (on GitHub, run actions/setup-go before this action)");
}
function executable(file2) {
  try {
    accessSync(file2, constants3.X_OK);
    return statSync(file2).isFile();
  } catch {
    return false;
  }
}
function goInToolCache() {
  const toolCache = process.env.RUNNER_TOOL_CACHE;
  if (!toolCache) return void 0;
  const dir = path3.join(toolCache, "go");
  const versions = existsSync2(dir) ? readdirSync(dir).filter((v) => existsSync2(path3.join(dir, v, `${os5.arch()}.complete`))) : [];
  const newest = versions.sort((a, b) => b.localeCompare(a, void 0, { numeric: true }))[0];
  return newest ? path3.join(dir, newest, os5.arch(), "bin", EXE) : void 0;
}
async function readGoEnv(go, cwd) {
  const { code: code2, stdout, stderr } = await output(go, ["env", "-json", ...NAMES], { cwd, env: { ...processEnv(), GOTOOLCHAIN: "local" } });
  if (code2 !== 0) throw new Error(`go env failed (exit code ${code2}): ${stderr.trim()}`);
  const parsed = JSON.parse(stdout);
  return Object.fromEntries(NAMES.map((n) => [n, parsed[n] ?? ""]));
}
function processEnv() {
  return Object.fromEntries(Object.entries(process.env).filter((e) => e[1] !== void 0));
}

// src/later/identity.ts
import { execFileSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
function processIdentity(pid) {
  if (!Number.isSafeInteger(pid) || pid <= 1) return void 0;
  return process.platform === "linux" ? fromProc(pid) : process.platform === "win32" ? void 0 : fromPs(pid);
}
function fromProc(pid) {
  try {
    const stat2 = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat2.slice(stat2.lastIndexOf(")") + 2).split(" ");
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (argv.at(-1) === "") argv.pop();
    return { startTime: fields[19], group: Number(fields[2]), argv, exe: readlinkSync(`/proc/${pid}/exe`), cwd: readlinkSync(`/proc/${pid}/cwd`) };
  } catch {
    return void 0;
  }
}
function fromPs(pid) {
  try {
    const [startTime2, rest] = ["lstart", "pgid,args"].map(
      (columns) => execFileSync("ps", ["-o", `${columns.split(",").map((c) => `${c}=`).join(",")}`, "-p", String(pid)], { encoding: "utf8", timeout: 5e3, stdio: ["ignore", "pipe", "ignore"] }).trim()
    );
    const [group2, ...argv] = rest.split(/\s+/);
    if (!startTime2 || !group2) return void 0;
    return { startTime: startTime2, group: Number(group2), argv };
  } catch {
    return void 0;
  }
}

// src/later/start.ts
var ENTRY = fileURLToPath2(new URL(import.meta.url.endsWith(".ts") ? "../entries/job-proxy.ts" : "./job-proxy.js", import.meta.url));
var READY_WITHIN_MS = 1e4;
var GONE_WITHIN_MS = 2e3;
function launchJobProxy(entry = ENTRY) {
  const workDir = mkdtempSync(path4.join(process.env.RUNNER_TEMP || os6.tmpdir(), WORK_DIR_PREFIX));
  const child = spawn2(process.execPath, [entry], {
    detached: true,
    cwd: workDir,
    stdio: ["pipe", "pipe", "ignore"],
    env: processEnv()
  });
  if (child.pid !== void 0) {
    const identity = processIdentity(child.pid);
    const record = { pid: child.pid, startTime: identity?.startTime ?? "", argv: identity?.argv ?? [], ...identity?.exe ? { exe: identity.exe } : {} };
    writeFileSync(path4.join(workDir, LAUNCH_RECORD), JSON.stringify(record));
  }
  child.stdin.on("error", () => void 0);
  child.on("error", () => void 0);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const forget = child.pid === void 0 ? () => void 0 : killGroupOnCancel(child.pid, exited);
  let started = false;
  const letGo = () => {
    forget();
    child.stdout.destroy();
    child.stdin.destroy();
    child.unref();
  };
  const removeDir = () => rmSync(workDir, { recursive: true, force: true });
  return {
    async start(options) {
      const secret = randomBytes(18).toString("base64url");
      const config = {
        ...options,
        secret,
        // The runner's process that started this step: when it is gone, so is the job.
        watchPid: process.ppid,
        workDir,
        statsFile: path4.join(workDir, STATS_FILE)
      };
      try {
        const line = firstLine(child.stdout);
        child.stdin.end(JSON.stringify(config));
        const ready = await withDeadline(line, READY_WITHIN_MS, "The later-steps proxy start");
        const url = /^ready (\S+)$/.exec(ready ?? "")?.[1];
        if (!url || child.pid === void 0) throw new Error(`the later-steps proxy did not start${ready ? `: ${ready}` : ""}`);
        started = true;
        letGo();
        return { url, secret, pid: child.pid, statsFile: config.statsFile };
      } catch (e) {
        await this.abandon();
        throw e;
      }
    },
    async abandon() {
      if (started) return;
      const running = child.pid !== void 0 && child.exitCode === null && child.signalCode === null;
      if (running) killTree(child.pid);
      letGo();
      removeDir();
      if (running) await Promise.race([exited, sleep2(GONE_WITHIN_MS, void 0, { ref: false })]);
    }
  };
}
async function firstLine(stream) {
  for await (const line of createInterface({ input: stream })) return line;
  return void 0;
}

// src/cache/stage.ts
import { readdirSync as readdirSync4 } from "node:fs";

// src/util/confined.ts
import { chmodSync, closeSync, constants as constants4, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync as readlinkSync2, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { lstat as lstat2, readdir as readdir2, rmdir as rmdir2, unlink as unlink2 } from "node:fs/promises";
import path5 from "node:path";
import { isMainThread } from "node:worker_threads";
var O_NOFOLLOW = constants4.O_NOFOLLOW ?? 0;
var O_DIRECTORY = constants4.O_DIRECTORY ?? 0;
var O_NONBLOCK = constants4.O_NONBLOCK ?? 0;
var DIRECTORY = constants4.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;
var READ_NO_FOLLOW = constants4.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
var CREATE_NEW = constants4.O_WRONLY | constants4.O_CREAT | constants4.O_EXCL | O_NOFOLLOW;
var WINDOWS = process.platform === "win32";
var procPid = process.platform === "linux" ? procSelf() : void 0;
var byDescriptor = procPid !== void 0 && isDirectory2(`/proc/${procPid}/fd`);
function procSelf() {
  try {
    return readlinkSync2("/proc/self");
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
function openDir(root, rel, create2 = false, device) {
  const names = rel.split("/").filter((n) => n !== "");
  if (byDescriptor && isMainThread && names.length > 0 && device === void 0) return openFromKept(root, names, create2);
  return walk(new Dir(WINDOWS ? void 0 : openSync(root, constants4.O_RDONLY | O_DIRECTORY), root), true, names, 0, create2, void 0, device);
}
function openSubdir(dir, name, rel, device) {
  return openChild(dir, name, false, () => rel, device);
}
function walk(dir, owned, names, from, create2, keep2, device) {
  try {
    for (let i = from; i < names.length; i++) {
      const next = openChild(dir, names[i], create2, () => names.slice(0, i + 1).join("/"), device);
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
function openFromKept(root, names, create2) {
  let from = names.length - 1;
  let fd;
  for (; from > 0 && fd === void 0; from--) fd = takeKept(keyOf(root, names, from));
  if (fd !== void 0) from++;
  const rootKey = keyOf(root, names, 0);
  if (fd === void 0) {
    fd = takeKept(rootKey);
    if (fd === void 0) {
      const opened = openSync(root, constants4.O_RDONLY | O_DIRECTORY);
      const name = kernelName(opened);
      if (!name || !keep(rootKey, opened, name)) return walk(new Dir(opened, root), true, names, 0, create2);
      fd = opened;
    }
  }
  const rootName = kept.get(rootKey)?.name;
  const expected = (depth) => rootName && Buffer.concat([rootName, Buffer.from(`${rootName.at(-1) === 47 ? "" : "/"}${names.slice(0, depth).join("/")}`)]);
  return walk(new Dir(fd, path5.join(root, ...names.slice(0, from))), false, names, from, create2, (depth, dir) => {
    const name = expected(depth);
    return name !== void 0 && keep(keyOf(root, names, depth), dir.fd, name);
  });
}
function kernelName(fd) {
  try {
    return readlinkSync2(`/proc/self/fd/${fd}`, { encoding: "buffer" });
  } catch {
    return void 0;
  }
}
function takeKept(key4) {
  const entry = kept.get(key4);
  if (!entry) return void 0;
  kept.delete(key4);
  if (!kernelName(entry.fd)?.equals(entry.name)) {
    release(entry);
    return void 0;
  }
  kept.set(key4, entry);
  return entry.fd;
}
function keep(key4, fd, name) {
  if (!kernelName(fd)?.equals(name)) return false;
  const before = kept.get(key4);
  if (before) release(before);
  kept.delete(key4);
  const { dev, ino } = fstatSync(fd);
  kept.set(key4, { fd, name, dev, ino });
  if (kept.size > KEEP_AT_MOST) {
    const [oldest, entry] = kept.entries().next().value;
    kept.delete(oldest);
    release(entry);
  }
  return true;
}
function openChild(dir, name, create2, rel, device) {
  const shown = path5.join(dir.shown, name);
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
      const code2 = e.code;
      if (code2 === "ENOENT" && create2 && tries === 0) {
        try {
          mkdirSync(dir.entry(name), 511);
        } catch (made) {
          if (made.code !== "EEXIST") throw made;
        }
        continue;
      }
      if (code2 === "ENOTDIR" || code2 === "ELOOP") throw new NotADirectory(rel(), kindOf(dir.entry(name)) ?? "gone");
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
  const at = openDir(root, path5.posix.dirname(rel), false, device);
  try {
    return openRegular(at.entry(path5.posix.basename(rel)));
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
  const stats = await lstat2(target).catch(() => void 0);
  if (!stats) return;
  const inner = stats.isDirectory() ? openDirAt(target, path5.join(dir.shown, name)) : void 0;
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
function writeReplacing(dir, name, text, temp) {
  try {
    const fd = openSync(dir.entry(temp), CREATE_NEW, 438);
    try {
      writeSync(fd, text);
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

// src/cache/verify-words.ts
function describeVerify(v) {
  const counted2 = [`${v.zips} zips`, `${v.trees} extracted trees`, `${v.mods} go.mod files`].join(", ");
  const outcome = v.discarded.length === 0 ? "all match" : `${v.discarded.length} discarded`;
  return `${counted2} in ${formatDuration(v.durationMs)}: ${outcome}`;
}

// src/cache/admit.ts
import { promises as fs3 } from "node:fs";
import path8 from "node:path";

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

// src/fetch/zip-hash.ts
import { createHash as createHash3 } from "node:crypto";
import { closeSync as closeSync3, fstatSync as fstatSync2 } from "node:fs";
import * as zlib from "node:zlib";

// src/module/gosum.ts
import { createHash as createHash2 } from "node:crypto";
function parseGoSum(text) {
  const lines = [];
  for (const raw of text.split("\n")) {
    const fields = raw.trim().split(/\s+/);
    if (fields.length !== 3) continue;
    const [module, versionField, hash] = fields;
    if (!hash.startsWith("h1:")) continue;
    const goMod = versionField.endsWith("/go.mod");
    const version = goMod ? versionField.slice(0, -"/go.mod".length) : versionField;
    if (modulePathProblem(module) !== void 0 || !isCanonicalVersion(version)) continue;
    lines.push({ module, version, goMod, hash });
  }
  return lines;
}
function hash1(files) {
  const at = (i) => files[i];
  return hash1Of({ count: files.length, name: (i) => at(i).name, compare: (a, b) => Buffer.compare(at(a).name, at(b).name), sha256Hex: (i) => at(i).sha256Hex });
}
function hash1Of(files) {
  const summary2 = createHash2("sha256");
  const order = Array.from({ length: files.count }, (_, i) => i).sort((a, b) => files.compare(a, b));
  for (const [k, i] of order.entries()) {
    const name = files.name(i);
    if (name.includes(10)) throw new Error(`file name with a newline: ${JSON.stringify(name.toString())}`);
    if (k > 0 && files.compare(order[k - 1], i) === 0) throw new Error(`${name.toString()} is in the zip twice`);
    summary2.update(`${files.sha256Hex(i)}  `).update(name).update("\n");
  }
  return `h1:${summary2.digest("base64")}`;
}
function goModHashOfSha256(sha256Hex) {
  return hash1([{ name: Buffer.from("go.mod"), sha256Hex }]);
}
function goModHash(content) {
  return goModHashOfSha256(createHash2("sha256").update(content).digest("hex"));
}
function probeTarget(lines, isPrivate) {
  return lines.filter((l) => l.goMod && !isPrivate(l.module)).sort((a, b) => byCodeUnits(a.module, b.module) || byCodeUnits(a.version, b.version))[0];
}
var byCodeUnits = (a, b) => a < b ? -1 : a > b ? 1 : 0;

// src/fetch/inflater.ts
import { randomBytes as randomBytes2 } from "node:crypto";
import { constants as constants5, createInflateRaw, deflateRawSync, inflateRawSync } from "node:zlib";

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
    const flush = last ? constants5.Z_FINISH : constants5.Z_NO_FLUSH;
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
import { closeSync as closeSync2, mkdirSync as mkdirSync2, openSync as openSync2, writeSync as writeSync2 } from "node:fs";
import path6 from "node:path";
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
        this.root = openDirAt(parent.entry(target.name), path6.join(parent.shown, target.name));
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
      const parent = path6.posix.dirname(rel);
      const root = this.root;
      if (parent !== "." && !this.made.has(parent)) {
        mkdirSync2(root.entry(parent), { recursive: true, mode: 511 });
        for (let p = parent; p !== "." && !this.made.has(p); p = path6.posix.dirname(p)) this.made.add(p);
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
  const isDirectory3 = dir.bytes[nameEnd(dir, i) - 1] === 47;
  if (expected !== 0 && isDirectory3) throw new Error(`${nameOf(dir, i).toString()} is a directory with content`);
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
  if (!isDirectory3 && crc322) {
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
    const info2 = JSON.parse(readRegular(file2, job.maxBytes).toString("utf8"));
    return info2.Version === job.version ? void 0 : `.info names ${String(info2.Version)}, not ${job.version}`;
  } catch (e) {
    return `${job.kind} unreadable: ${readableError(e)}`;
  }
}
var INFO_FIELDS = /* @__PURE__ */ new Set(["Version", "Time", "Origin"]);
var ORIGIN_FIELDS = /* @__PURE__ */ new Set(["VCS", "URL", "Subdir", "Hash", "TagPrefix", "TagSum", "Ref", "RepoSum"]);
function infoProblem(text, version) {
  let info2;
  try {
    info2 = JSON.parse(text);
  } catch {
    return ".info is not JSON";
  }
  const fieldsOf = (value) => typeof value === "object" && value !== null && !Array.isArray(value) ? Object.entries(value) : void 0;
  const fields = fieldsOf(info2);
  if (!fields) return ".info is not a JSON object";
  const { Version, Time, Origin } = info2;
  if (Version !== version) return `.info names ${JSON.stringify(Version)}, not ${version}`;
  const origin = Origin === void 0 ? [] : fieldsOf(Origin);
  const strange = [...fields.filter(([k]) => !INFO_FIELDS.has(k)), ...(origin ?? [["Origin", Origin]]).filter(([k, v]) => !ORIGIN_FIELDS.has(k) || typeof v !== "string")];
  if (typeof Time !== "string" || Number.isNaN(Date.parse(Time))) return ".info has no time";
  return strange.length === 0 ? void 0 : `.info holds what go does not write (${strange.map(([k]) => k).join(", ")})`;
}

// src/module/vouched.ts
function knownFiles(lines, isPrivate) {
  const known = /* @__PURE__ */ new Map();
  for (const line of lines) {
    if (isPrivate(line.module)) continue;
    const add = (kind, hash) => {
      const path34 = downloadPath(line.module, line.version, kind);
      known.set(path34, { module: line.module, version: line.version, kind, path: path34, maxBytes: MAX_BYTES[kind], ...hash ? { hash } : {} });
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
var downloadBase = (module, version) => `cache/download/${escapePath(module)}/@v/${escapeVersion(version)}`;
var treePath = (module, version) => `${escapePath(module)}@${escapeVersion(version)}`;
function checksFor(lines) {
  const checks = /* @__PURE__ */ new Map();
  for (const { module, version, goMod, hash } of lines) {
    const base = downloadBase(module, version);
    const add = (what, path34) => checks.set(path34, { module, version, what, path: path34, hash });
    if (goMod) add("mod", `${base}.mod`);
    else {
      add("zip", `${base}.zip`);
      add("tree", treePath(module, version));
    }
  }
  return [...checks.values()];
}
function savedPaths(lines, contents) {
  const paths = /* @__PURE__ */ new Set();
  for (const { module, version, goMod } of lines) {
    const base = downloadBase(module, version);
    paths.add(`${base}.mod`).add(`${base}.info`);
    if (goMod) continue;
    paths.add(`${base}.zip`).add(`${base}.ziphash`);
    if (contents === "everything") paths.add(treePath(module, version));
  }
  return [...paths].sort();
}

// src/cache/verify.ts
import { availableParallelism } from "node:os";
import path7 from "node:path";

// src/fetch/hashers.ts
import { Worker } from "node:worker_threads";

// src/util/trace.ts
import { writeFileSync as writeFileSync2 } from "node:fs";
import { isMainThread as isMainThread2 } from "node:worker_threads";
var TRACE_ENV = "GO_MOD_DOWNLOAD_TRACE";
var file = isMainThread2 ? process.env[TRACE_ENV] || void 0 : void 0;
if (file) delete process.env[TRACE_ENV];
var tracing = file !== void 0;
var spans = [];
var threads = /* @__PURE__ */ new Map();
async function traced(name, work) {
  if (!tracing) return work();
  const start2 = performance.now();
  try {
    return await work();
  } finally {
    spans.push({ name, start: start2, end: performance.now() });
  }
}
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
      writeFileSync2(file, JSON.stringify(trace), { flag: "wx" });
    } catch (e) {
      process.stderr.write(`trace not written: ${e.message}
`);
    }
  });
}

// src/fetch/hash-worker.ts
import { parentPort, workerData } from "node:worker_threads";

// src/fetch/tree-hash.ts
import { createHash as createHash4 } from "node:crypto";
import { closeSync as closeSync4, readSync as readSync3, readdirSync as readdirSync2 } from "node:fs";
var CHUNK = 1 << 20;
function fileSha256(fd, buffer) {
  const hash = createHash4("sha256");
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
    for (const entry of readdirSync2(at.path, { withFileTypes: true })) {
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

// src/go/go-lock.ts
import { spawn as spawn3 } from "node:child_process";
import os7 from "node:os";
import { createInterface as createInterface2 } from "node:readline";
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
var ERRNO_NAMES = new Map(Object.entries(os7.constants.errno).map(([name, number]) => [number, name]));
var helper;
var nextId = 0;
function start() {
  const child = spawn3("perl", ["-e", SCRIPT], { stdio: ["pipe", "pipe", "ignore"], env: { PATH: process.env.PATH ?? "" }, windowsHide: true });
  const started = { child, answers: /* @__PURE__ */ new Map(), busy: 0 };
  const lost = (why) => {
    started.gone ??= why;
    for (const answer2 of started.answers.values()) answer2(`unavailable ${why}`);
    started.answers.clear();
  };
  child.on("error", (e) => lost(`perl could not start (${e.code ?? e.message})`));
  child.on("exit", (code2) => lost(`perl ended (${code2})`));
  child.stdin?.on("error", () => lost("perl ended"));
  createInterface2({ input: child.stdout }).on("line", (line) => {
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
        const code2 = ERRNO_NAMES.get(Number(errno));
        finish({ kind: "refused", why: why.join(" "), ...code2 ? { code: code2 } : {} });
      } else finish({ kind: "unavailable", why: answer2.slice("unavailable ".length) });
    });
    send(`L ${id} ${Buffer.from(file2).toString("hex")}`);
  });
}

// src/cache/verify.ts
var WHAT = { zip: "zip", tree: "extracted tree", mod: "go.mod" };
var IN_FLIGHT = 64;
async function verifyModuleCache(modcache, lines, options = {}) {
  const started = performance.now();
  const report = { zips: 0, trees: 0, mods: 0, discarded: [], repaired: 0, durationMs: 0 };
  const problems = /* @__PURE__ */ new Map();
  const blame = (check, why, remove, failed) => {
    const id = `${check.module}@${check.version}`;
    const known = problems.get(id) ?? { module: check.module, version: check.version, why: [], remove: /* @__PURE__ */ new Set(), failed: /* @__PURE__ */ new Map() };
    problems.set(id, known);
    if (!known.why.includes(why)) known.why.push(why);
    for (const rel of remove) known.remove.add(rel);
    if (failed) known.failed.set(failed.check.path, failed.stats);
  };
  const found = [];
  for (const check of checksFor(lines)) {
    if (options.checked?.has(check.path)) continue;
    const located = locate(modcache, check, options.alone ?? false);
    if (located === void 0) continue;
    if ("blocked" in located) blame(check, located.blocked.message, [located.blocked.rel]);
    else if (located.stats === "extracting") report.extracting = (report.extracting ?? 0) + 1;
    else found.push({ check, stats: located.stats });
  }
  const hashers = new Hashers(Math.max(1, Math.min(4, availableParallelism())));
  const zipBytes = new Map(found.filter((f) => f.check.what === "zip").map((f) => [`${f.check.module}@${f.check.version}`, f.stats.size]));
  const budget = found.reduce((n, f) => n + (f.check.what === "tree" ? zipBytes.get(`${f.check.module}@${f.check.version}`) ?? 0 : f.stats.size), 0);
  const deadlineMs = options.deadlineMs ?? checkDeadlineMs(budget);
  let expired = false;
  let timer;
  const deadline2 = new Promise((resolve) => {
    timer = setTimeout(() => {
      expired = true;
      resolve("expired");
    }, deadlineMs);
  });
  const findings = [];
  try {
    let next = 0;
    const checkOne = async (i) => {
      const item = found[i];
      report[`${item.check.what}s`]++;
      const problem = expired ? "expired" : await Promise.race([problemWith(item, modcache, hashers), deadline2]);
      findings[i] = problem === "expired" ? `not checked within the check's deadline (${Math.round(deadlineMs / 1e3)} s)` : problem;
    };
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < found.length) await checkOne(next++);
      })
    );
  } finally {
    clearTimeout(timer);
    if (expired) void hashers.abandon();
    else await hashers.close();
  }
  const good = found.filter((item, i) => {
    const problem = findings[i];
    if (problem) blame(item.check, problem, removalsFor(item.check), item);
    return problem === void 0;
  });
  const stuck = [];
  const outcomes = await Promise.all([...problems.values()].map((problem) => removeUnderLock(modcache, problem, options.alone ?? false)));
  for (const [i, problem] of [...problems.values()].entries()) {
    const outcome = outcomes[i];
    if (outcome.unlocked) report.unlocked = outcome.unlocked;
    if (outcome.stuck) stuck.push(`${problem.module} ${problem.version} (${problem.why.join("; ")}): ${outcome.stuck}`);
    if (outcome.removed) report.discarded.push({ module: problem.module, version: problem.version, why: problem.why.join("; ") });
  }
  for (const item of good) {
    if (item.check.what === "zip" && !problems.has(`${item.check.module}@${item.check.version}`) && keepZipHash(modcache, item.check)) report.repaired++;
  }
  report.durationMs = performance.now() - started;
  if (stuck.length > 0) throw new Error(`The module cache holds what go.sum does not vouch for, and the step cannot remove it, so go would use it as it is: ${stuck.join("; ")}.`);
  return report;
}
function locate(modcache, check, alone) {
  let dir;
  try {
    dir = openDirIfThere(modcache, path7.posix.dirname(check.path));
  } catch (e) {
    if (e instanceof NotADirectory) return { blocked: e };
    throw e;
  }
  if (!dir) return void 0;
  try {
    const stats = lstatOf(dir.entry(path7.posix.basename(check.path)));
    if (!stats) return void 0;
    if (check.what === "tree" && !alone && hasMarker(modcache, check)) return { stats: "extracting" };
    return { stats };
  } finally {
    dir.close();
  }
}
function hasMarker(modcache, check) {
  const base = downloadBase(check.module, check.version);
  try {
    const dir = openDirIfThere(modcache, path7.posix.dirname(base));
    if (!dir) return false;
    try {
      return lstatOf(dir.entry(`${path7.posix.basename(base)}.partial`))?.isFile() ?? false;
    } finally {
      dir.close();
    }
  } catch {
    return false;
  }
}
async function problemWith({ check, stats }, modcache, hashers) {
  const what = WHAT[check.what];
  const expected = check.what === "tree" ? stats.isDirectory() : stats.isFile();
  if (!expected) return `${what} is ${describe(stats)}, not a ${check.what === "tree" ? "directory" : "regular file"}`;
  let dir;
  try {
    dir = openDir(modcache, path7.posix.dirname(check.path));
  } catch (e) {
    return `${what} unreadable: ${readableError(e)}`;
  }
  const name = path7.posix.basename(check.path);
  try {
    const hash = check.what === "zip" ? await hashers.zip(dir.entry(name)) : check.what === "tree" ? await hashers.tree(dir.entry(name), `${check.module}@${check.version}`) : goModHash(readRegular(dir.entry(name), MAX_BYTES.mod));
    if (hash !== check.hash) return `${what} does not match go.sum`;
    return check.what === "zip" ? besideZip(dir, name) : void 0;
  } catch (e) {
    return `${what} unreadable: ${readableError(e)}`;
  } finally {
    dir.close();
  }
}
function besideZip(dir, zipName) {
  for (const name of [`${zipName}hash`, zipName.replace(/\.zip$/, ".info")]) {
    const kind = kindOf(dir.entry(name));
    if (kind !== void 0 && kind !== "a file") return `${name} is ${kind}, not a regular file`;
  }
  return void 0;
}
function removalsFor(check) {
  const base = downloadBase(check.module, check.version);
  if (check.what === "mod") return [`${base}.mod`];
  if (check.what === "tree") return [treePath(check.module, check.version)];
  return [`${base}.zip`, `${base}.ziphash`, `${base}.info`, treePath(check.module, check.version)];
}
async function removeUnderLock(modcache, problem, alone) {
  const base = downloadBase(problem.module, problem.version);
  const lockName = `${path7.posix.basename(base)}.lock`;
  let release2;
  let unlocked;
  let lockDir;
  try {
    lockDir = openDirIfThere(modcache, path7.posix.dirname(base));
  } catch (e) {
    if (!(e instanceof NotADirectory)) throw e;
  }
  try {
    if (lockDir && !alone) {
      let locked = await takeGoLock(lockDir.entry(lockName), LOCK_WAIT_MS);
      if (locked.kind === "refused" && kindOf(lockDir.entry(lockName)) !== "a file") {
        await removeEntry(lockDir, lockName);
        locked = await takeGoLock(lockDir.entry(lockName), LOCK_WAIT_MS);
      }
      if (locked.kind === "busy") return { stuck: `another process has held go's lock on it (${path7.join(lockDir.shown, lockName)}) for ${LOCK_WAIT_MS / 1e3} s` };
      if (locked.kind === "refused" && locked.code !== "EROFS") return { stuck: `go's lock file ${path7.join(lockDir.shown, lockName)} cannot be locked: ${locked.why}` };
      if (locked.kind === "unavailable") unlocked = locked.why;
      else if (locked.kind === "held") release2 = locked.release;
    }
    const withUnlocked = unlocked ? { unlocked } : {};
    for (const [rel, checked] of problem.failed) {
      const now = lstatIn(modcache, rel);
      if (now && (now.ino !== checked.ino || now.dev !== checked.dev)) return withUnlocked;
    }
    const extracting = !alone && hasMarker(modcache, problem);
    for (const rel of problem.remove) {
      if (extracting && rel === treePath(problem.module, problem.version)) continue;
      const failed = await removeAt(modcache, rel);
      if (failed) return { stuck: failed, ...withUnlocked };
    }
    return { removed: true, ...withUnlocked };
  } finally {
    release2?.();
    lockDir?.close();
  }
}
function lstatIn(modcache, rel) {
  try {
    const dir = openDirIfThere(modcache, path7.posix.dirname(rel));
    if (!dir) return void 0;
    try {
      return lstatOf(dir.entry(path7.posix.basename(rel)));
    } finally {
      dir.close();
    }
  } catch {
    return void 0;
  }
}
async function removeAt(modcache, rel) {
  let dir;
  let name = path7.posix.basename(rel);
  try {
    try {
      dir = openDirIfThere(modcache, path7.posix.dirname(rel));
    } catch (e) {
      if (!(e instanceof NotADirectory)) throw e;
      dir = openDir(modcache, path7.posix.dirname(e.rel));
      name = path7.posix.basename(e.rel);
    }
    if (dir) await removeEntry(dir, name);
    return void 0;
  } catch (e) {
    const code2 = e.code;
    const where = path7.join(modcache, rel);
    if (code2 === "EROFS") return `${where} cannot be removed: the module cache is on a read-only file system (EROFS); make it writable for this step, or repair it where it is written`;
    if (code2 === "EACCES" || code2 === "EPERM") return `${where} cannot be removed: the step may not write there (${code2}); the module cache may be read-only or another user's`;
    return `${where} cannot be removed: ${readableError(e)}`;
  } finally {
    dir?.close();
  }
}
function keepZipHash(modcache, check) {
  const base = downloadBase(check.module, check.version);
  let dir;
  try {
    dir = openDir(modcache, path7.posix.dirname(base));
  } catch {
    return false;
  }
  const name = `${path7.posix.basename(base)}.ziphash`;
  try {
    const text = (() => {
      try {
        return readRegular(dir.entry(name), 1024).toString("utf8");
      } catch {
        return void 0;
      }
    })();
    if (text?.trim() === check.hash) return false;
    try {
      writeReplacing(dir, name, check.hash, `${name}.${process.pid}-${Date.now()}.partial`);
      return true;
    } catch {
      return false;
    }
  } finally {
    dir.close();
  }
}

// src/cache/admit.ts
async function vouchedIn(dir, lines, contents) {
  const verify2 = await verifyModuleCache(dir, lines, { alone: true });
  const hashed = new Set(checksFor(lines).map((c) => c.path));
  const admit = admitFor(lines);
  const paths = [];
  for (const rel of savedPaths(lines, contents)) {
    const stat2 = await fs3.lstat(path8.join(dir, rel)).catch(() => void 0);
    if (!stat2) continue;
    if (hashed.has(rel)) paths.push(rel);
    else if (!/\.(info|ziphash)$/.test(rel)) continue;
    else if (rel.endsWith(".ziphash") && !paths.includes(rel.slice(0, -"hash".length))) continue;
    else {
      const why = await admit(rel, dir, stat2);
      if (why === void 0) paths.push(rel);
      else {
        const [module, version] = versionOf(lines, rel);
        verify2.discarded.push({ module, version, why });
      }
    }
  }
  return { paths, verify: verify2 };
}
function admitFor(lines) {
  const expected = /* @__PURE__ */ new Map();
  for (const { module, version, goMod, hash } of lines) {
    const base = downloadBase(module, version);
    expected.set(`${base}.info`, { version });
    if (!goMod) expected.set(`${base}.ziphash`, { version, ziphash: hash });
  }
  return async (rel, root, stat2) => {
    const rule = expected.get(rel);
    if (!rule) return void 0;
    if (stat2.size > MAX_BYTES.info) return `${path8.extname(rel)} of ${stat2.size} bytes`;
    let text;
    try {
      text = readBelow(root, rel, MAX_BYTES.info).toString("utf8");
    } catch (e) {
      return `unreadable: ${readableError(e)}`;
    }
    if (rule.ziphash === void 0) return infoProblem(text, rule.version);
    return text.trim() === rule.ziphash ? void 0 : ".ziphash is not go.sum\u2019s hash of the zip";
  };
}
function versionOf(lines, rel) {
  const line = lines.find((l) => rel.startsWith(`${downloadBase(l.module, l.version)}.`));
  return line ? [line.module, line.version] : [rel, ""];
}

// src/cache/build.ts
import { promises as fs5 } from "node:fs";
import path10 from "node:path";

// src/cache/service.ts
import { fileURLToPath as fileURLToPath3 } from "node:url";

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
var CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
function visible(text) {
  return text.replace(CONTROL, escaped);
}
var BREAK = /[\n\u2028\u2029]/g;
function oneLine(text) {
  return inert(visible(text).replace(BREAK, escaped));
}
var escaped = (c) => {
  const code2 = c.charCodeAt(0);
  return code2 > 255 ? `\\u${code2.toString(16).padStart(4, "0")}` : `\\x${code2.toString(16).padStart(2, "0")}`;
};

// src/cache/mode.ts
var KNOWN_MODES = ["none", "read", "write", "write-only"];
var READ_DENIED = "cache read denied:";
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
import { randomBytes as randomBytes3 } from "node:crypto";
import { closeSync as closeSync5, fstatSync as fstatSync3, lstatSync as lstatSync2, openSync as openSync3, promises as fs4, readdirSync as readdirSync3, readSync as readSync4, unlinkSync as unlinkSync2, writeFileSync as writeFileSync3, writeSync as writeSync3 } from "node:fs";
import path9 from "node:path";

// src/cache/owner.ts
import { execFileSync as execFileSync2 } from "node:child_process";
import { readFileSync as readFileSync2 } from "node:fs";
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
    const stat2 = readFileSync2(`/proc/${pid}/stat`, "utf8");
    return stat2.slice(stat2.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
  }
  try {
    return execFileSync2("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || void 0;
  } catch {
    return void 0;
  }
}

// src/cache/staging.ts
var CLAIMING_MS = 6e4;
var OWNER_MAX_BYTES = 4096;
var CHILD_FD = 3;
var entryIn = (dir) => path9.join(dir, "entry");
async function claimStaging(dir, root = path9.dirname(dir)) {
  const rel = path9.relative(root, path9.dirname(dir));
  if (rel.startsWith("..") || path9.isAbsolute(rel)) throw new Error(`${dir} is not below ${root}`);
  await fs4.mkdir(root, { recursive: true });
  const parent = openDir(root, rel.split(path9.sep).join("/"), true, (await fs4.stat(root)).dev);
  const name = path9.basename(dir);
  let held;
  try {
    for (let tries = 0; ; tries++) {
      try {
        await fs4.mkdir(parent.entry(name), { mode: 448 });
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
      for (const entry of await fs4.readdir(held.path)) await removeEntry(held, entry);
      const now = lstatOf(parent.entry(name));
      const own = held.stat();
      if (now?.dev === own.dev && now.ino === own.ino) await fs4.rmdir(parent.entry(name)).catch(() => void 0);
    } finally {
      held.close();
      parent.close();
    }
  };
  const forget = cleanUpOnCancel(release2);
  try {
    writeFileSync3(held.entry("owner"), JSON.stringify(thisProcess()), { flag: "wx" });
    await fs4.mkdir(held.entry("entry"));
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
  if (uid !== void 0 && stat2.uid !== uid || process.platform !== "win32" && (stat2.mode & 63) !== 0 || readdirSync3(held.path).length > 0) {
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
  const aside = `${name}.${randomBytes3(6).toString("hex")}.stale`;
  await fs4.rename(parent.entry(name), parent.entry(aside));
  if (JSON.stringify(ownerOf(parent, aside)) !== JSON.stringify(owner)) {
    await fs4.rename(parent.entry(aside), parent.entry(name)).catch(() => void 0);
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
  const { dev } = await fs4.stat(root);
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
    for (const file2 of files) {
      const to = path9.join(entry, file2.rel);
      await fs4.mkdir(path9.dirname(to), { recursive: true });
      if (!await linkChecked(root, file2, to)) {
        staged.skipped.push({ path: rel, why: `${file2.rel} changed after it was checked` });
        continue;
      }
      staged.bytes += file2.stat.size;
    }
  }
  return staged;
}
async function linkChecked(root, file2, to) {
  let dir;
  try {
    dir = openDir(root, path9.posix.dirname(file2.rel), false, file2.stat.dev);
  } catch {
    return false;
  }
  const same = (s) => s.isFile() && s.dev === file2.stat.dev && s.ino === file2.stat.ino && s.size === file2.stat.size && s.mtimeMs === file2.stat.mtimeMs;
  try {
    const from = dir.entry(path9.posix.basename(file2.rel));
    try {
      await fs4.link(from, to);
    } catch {
      let fd;
      try {
        fd = openRegular(from);
      } catch {
        return false;
      }
      try {
        if (!same(fstatSync3(fd))) return false;
        const out = openSync3(to, CREATE_NEW, 420);
        try {
          const buffer = Buffer.allocUnsafe(1 << 16);
          for (let at = 0, n; (n = readSync4(fd, buffer, 0, buffer.length, at)) > 0; at += n) writeSync3(out, buffer, 0, n);
        } finally {
          closeSync5(out);
        }
        return true;
      } finally {
        closeSync5(fd);
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
  const dir = path9.posix.dirname(rel);
  const name = path9.posix.basename(rel);
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
  for (const name of await fs4.readdir(dir.path)) {
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
async function unstage(entry, root, paths) {
  const moved = [];
  const source2 = openDirAt(entry);
  if (!source2) return moved;
  try {
    for (const rel of paths) {
      const dir = directoryFor(root, rel);
      if (!dir) continue;
      try {
        const name = path9.posix.basename(rel);
        if (lstatOf(dir.entry(name))) continue;
        try {
          await fs4.rename(source2.entry(rel), dir.entry(name));
        } catch (e) {
          if (["EEXIST", "ENOTEMPTY", "EISDIR", "ENOTDIR"].includes(e.code ?? "")) continue;
          throw e;
        }
        moved.push(rel);
      } finally {
        dir.close();
      }
    }
  } finally {
    source2.close();
  }
  return moved;
}
function directoryFor(root, rel) {
  const names = rel.split("/").slice(0, -1);
  try {
    for (let depth = 1; depth <= names.length; depth++) {
      const at = openDirIfThere(root, names.slice(0, depth).join("/"));
      if (!at) break;
      try {
        const mode = at.mode();
        if ((mode & 128) === 0) at.chmod(mode | 128);
      } finally {
        at.close();
      }
    }
    return openDir(root, names.join("/"), true);
  } catch (e) {
    if (e instanceof NotADirectory) return void 0;
    throw e;
  }
}

// src/cache/service.ts
var RESULT_MARKER = "go-mod-download cache result: ";
var REFUSED_SHOWN = 10;
var UNAVAILABLE = "The cache service is not available here; going on without a cache.";
function serviceConfigured() {
  return Boolean(process.env.ACTIONS_CACHE_URL || process.env.ACTIONS_RESULTS_URL);
}
async function restoreEntry(stash, keys, limitMs, select) {
  const nothing = (report) => ({ report, moved: [] });
  if (!serviceConfigured()) return nothing({ state: "unavailable", warning: UNAVAILABLE });
  const forbidden = readForbidden();
  if (forbidden) return nothing({ state: "policy", policy: forbidden });
  const started = performance.now();
  let matchedKey;
  try {
    const staging = await claimStaging(stash.staging, stash.root);
    try {
      const result = await restoreInChild(staging, keys, limitMs);
      if (!result.available) return nothing({ state: "unavailable", warning: UNAVAILABLE });
      if (result.denied !== void 0) return nothing({ state: "policy", policy: `the cache service answered \u201C${READ_DENIED.slice(0, -1)}\u201D` });
      matchedKey = result.matchedKey ?? void 0;
      if (!matchedKey) return nothing({ state: "miss", durationMs: performance.now() - started });
      if (result.error !== void 0) throw new Error(result.error);
      const moved = await unstage(staging.held.entry, stash.root, await select(staging.held.entry));
      const refused2 = result.refusedCount ?? 0;
      const state = refused2 === 0 && sameKey(matchedKey, keys.key) ? "exact" : "partial";
      const report = { state, matchedKey, durationMs: performance.now() - started, ...result.bytes === void 0 ? {} : { bytes: result.bytes } };
      return { report: refused2 > 0 ? { ...report, warning: describeRefused(matchedKey, result) } : report, moved };
    } finally {
      await staging.release();
    }
  } catch (e) {
    const state = e instanceof DeadlineError ? "timed-out" : "failed";
    return nothing({ state, ...matchedKey ? { matchedKey } : {}, durationMs: performance.now() - started, warning: `Cache restore${matchedKey ? ` of ${matchedKey}` : ""} failed: ${e.message}` });
  }
}
function describeRefused(key4, result) {
  const shown = (result.refused ?? []).map((r) => `${JSON.stringify(r.member)} (${r.why})`).join("; ");
  const more = (result.refusedCount ?? 0) - (result.refused ?? []).length;
  return `The cache entry ${key4} held ${result.refusedCount} member(s) that were not written, so it is restored in part: ${shown}${more > 0 ? `; and ${more} more` : ""}.`;
}
async function saveEntry(stash, key4, paths, limitMs, admit) {
  const forbidden = writeForbidden();
  if (forbidden) return { state: "policy", why: savePolicy(forbidden) };
  const started = performance.now();
  try {
    const staging = await claimStaging(stash.staging, stash.root);
    try {
      const { bytes, skipped } = await stage(stash.root, staging.held.entry, paths, admit);
      if (skipped.length > 0) port.warning(`Not saved in the cache entry, not being the cache\u2019s own: ${skipped.slice(0, REFUSED_SHOWN).map((s) => `${s.path} (${s.why})`).join("; ")}${skipped.length > REFUSED_SHOWN ? `; and ${skipped.length - REFUSED_SHOWN} more` : ""}.`);
      const { result, log } = await inChild(SAVE_ENTRY, [staging.entry, key4], limitMs, "Cache save");
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
var RESTORE_ENTRY = fileURLToPath3(new URL(fromSource ? "../entries/cache-restore.ts" : "./restore.js", import.meta.url));
var SAVE_ENTRY = fileURLToPath3(new URL(fromSource ? "../entries/cache-save.ts" : "./save.js", import.meta.url));
async function restoreInChild(staging, keys, limitMs) {
  const { fd, entry, archive } = staging.child;
  return (await inChild(RESTORE_ENTRY, [staging.entry, entry, archive, keys.key, ...keys.restoreKeys], limitMs, "Cache restore", fd)).result;
}
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
var BUILD_KEY_PREFIX = "go-build";
var BACKDATE_MS = 2 * 60 * 60 * 1e3;
function buildCacheKeys(facts) {
  const base = `${BUILD_KEY_PREFIX}-${facts.os}-${facts.arch}-${facts.goVersion}-`;
  const prefix = `${base}${filesHash(facts.files).slice(0, 16)}-`;
  return { prefix, restoreKeys: [prefix, base] };
}
var buildStash = (gocache) => ({ root: gocache, staging: path10.join(gocache, "go-mod-download-staging") });
async function restoreBuildCache(gocache, keys, limitMs) {
  const backdated = new Date(Date.now() - BACKDATE_MS);
  const { report } = await restoreEntry(buildStash(gocache), { key: keys.prefix, restoreKeys: keys.restoreKeys }, limitMs, async (dir) => {
    const entries = await goEntries(dir);
    for (const entry of entries) await fs5.utimes(path10.join(dir, entry), backdated, backdated);
    return entries;
  });
  const hit = report.matchedKey?.toLowerCase().startsWith(keys.prefix.toLowerCase()) ?? false;
  return { ...report, hit };
}
var BUILD_STATE = "build-cache";
async function goEntries(gocache) {
  const entries = [];
  for (const dir of await fs5.readdir(gocache).catch(() => [])) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue;
    for (const entry of await fs5.readdir(path10.join(gocache, dir), { withFileTypes: true }).catch(() => [])) {
      if (entry.isFile() && /^[0-9a-f]{64}-[ad]$/.test(entry.name)) entries.push(`${dir}/${entry.name}`);
    }
  }
  return entries;
}

// src/cache/layout.ts
import path11 from "node:path";
var moduleStash = (modcache) => ({ root: modcache, staging: path11.join(modcache, "cache", "go-mod-download-staging") });

// src/cache/stage.ts
async function startModuleCache(o) {
  let restore = { state: "disabled" };
  let fromEntry;
  let moved = [];
  if (o.restore) {
    const outcome = await port.group(
      "Restore the module cache",
      () => restoreEntry(moduleStash(o.modcache), o.keys, o.timeoutMs, async (dir) => {
        const vouched = await vouchedIn(dir, o.sumLines, o.contents);
        fromEntry = vouched.verify;
        return vouched.paths;
      })
    );
    ({ report: restore, moved } = outcome);
    if (restore.warning) port.warning(restore.warning);
    port.echo(restored(restore) ? `Restored ${restore.matchedKey} (${restore.state})` : `Cache: ${restore.policy ? `not read, by policy (${restore.policy})` : restore.state}`);
  }
  if (o.sumLines.length === 0 || !hasDownloads(o.modcache)) return { restore, ...fromEntry ? { verify: fromEntry } : {} };
  const onRunner = await port.group("Check the module cache against go.sum", () => verifyModuleCache(o.modcache, o.sumLines, { checked: new Set(moved) }));
  const verify2 = fromEntry ? joined(fromEntry, onRunner) : onRunner;
  port.info(describeVerify(verify2));
  if (verify2.extracting) port.info(`Left alone: ${verify2.extracting} extracted tree(s) another go is extracting (its .partial marker is there).`);
  if (verify2.unlocked) port.info(`Checked without go's module locks (${verify2.unlocked}): a go running beside the step on this module cache is not waited for.`);
  for (const d of verify2.discarded) port.warning(`Discarded ${d.module} ${d.version} from the module cache: ${d.why}; it is fetched again.`);
  return { restore, verify: verify2 };
}
function joined(a, b) {
  return {
    zips: a.zips + b.zips,
    trees: a.trees + b.trees,
    mods: a.mods + b.mods,
    discarded: [...a.discarded, ...b.discarded],
    repaired: a.repaired + b.repaired,
    durationMs: a.durationMs + b.durationMs
  };
}
async function saveModuleCache(o) {
  if (!o.decision.save) return { state: "skipped", why: `not saved: ${o.decision.why}` };
  const saved = await port.group(
    "Save the module cache",
    () => saveEntry(moduleStash(o.modcache), o.key, savedPaths(o.sumLines, o.contents), o.timeoutMs, admitFor(o.sumLines))
  );
  if (saved.state === "failed") port.warning(`Cache ${saved.why}`);
  else if (saved.state === "policy") port.info(`Cache: ${saved.why}`);
  return saved;
}
async function startBuildCache(o) {
  if (!o.gocache || o.gocache === "off") return { report: { state: "disabled", hit: false, warning: "GOCACHE is off: there is no build cache to keep." } };
  const keys = buildCacheKeys(o.keys);
  const sinceMs = Date.now();
  const report = await port.group("Restore the build cache", () => restoreBuildCache(o.gocache, keys, o.timeoutMs));
  if (report.warning) port.warning(report.warning);
  port.echo(restored(report) ? `Build cache: restored ${report.matchedKey}${report.hit ? "" : " (another go.sum)"}` : `Build cache: ${report.state}`);
  return { report, state: { gocache: o.gocache, prefix: keys.prefix, ...report.matchedKey ? { matchedKey: report.matchedKey } : {}, sinceMs, limitMs: o.timeoutMs } };
}
function handBuildCacheOn(state, o) {
  const decision = saveDecision({ cacheEnabled: true, goSum: true, saveCache: o.saveCache, downloadOk: o.downloadOk, restore: o.restore });
  if (!decision.save) return { why: `not saved: ${decision.why}` };
  const forbidden = writeForbidden();
  if (forbidden) return { why: savePolicy(forbidden) };
  return { why: "by the post step, after the job\u2019s builds and tests", postState: { [BUILD_STATE]: JSON.stringify(state) } };
}
var restored = (report) => report.state === "exact" || report.state === "partial";
function hasDownloads(modcache) {
  let dir;
  try {
    dir = openDirIfThere(modcache, "cache/download");
  } catch {
    return true;
  }
  if (!dir) return false;
  try {
    return readdirSync4(dir.path).length > 0;
  } finally {
    dir.close();
  }
}

// src/go/goflags.ts
import { existsSync as existsSync3, mkdtempSync as mkdtempSync2, rmSync as rmSync2, writeFileSync as writeFileSync4 } from "node:fs";
import os8 from "node:os";
import path12 from "node:path";
var GOFLAGS_CHECK_TIMEOUT_MS = 3e4;
async function goflagsProblem(go, goflags, env, timeoutMs = GOFLAGS_CHECK_TIMEOUT_MS) {
  if (goflags.trim() === "") return void 0;
  const dir = mkdtempSync2(path12.join(env.RUNNER_TEMP || os8.tmpdir(), "go-mod-download-goflags-"));
  try {
    writeFileSync4(path12.join(dir, "go.mod"), "module goflags.check\n");
    const offline = { ...env, GOFLAGS: goflags, GOPROXY: "off", GOTOOLCHAIN: "local", GOWORK: "off", GOMODCACHE: path12.join(dir, "modcache"), ...NOTHING_DIRECT, GOSUMDB: "off" };
    const said = await output(go, ["mod", "download"], { cwd: dir, env: offline, timeoutMs }).catch(() => void 0);
    return said === void 0 ? void 0 : refusedGoflags(`${said.stderr}
${said.stdout}`);
  } finally {
    rmSync2(dir, { recursive: true, force: true });
  }
}
var NOTHING_DIRECT = { GOPRIVATE: "goflags-check-none", GONOPROXY: "goflags-check-none", GONOSUMDB: "goflags-check-none" };
function missingModfile(goflags, dir) {
  const modfile = goflagsFields(goflags).map((f) => /^--?modfile=(.+)$/.exec(f)?.[1]).filter((v) => v !== void 0).at(-1);
  if (modfile === void 0 || existsSync3(path12.resolve(dir, modfile))) return void 0;
  return `-modfile=${modfile} names no file in ${dir}`;
}
function goflagsFields(goflags) {
  const fields = [];
  let rest = goflags;
  for (; ; ) {
    rest = rest.replace(/^[ \t\n\r]+/, "");
    if (rest === "") return fields;
    const quote = rest[0] === '"' || rest[0] === "'" ? rest[0] : void 0;
    if (quote) {
      const end = rest.indexOf(quote, 1);
      if (end < 0) return fields;
      fields.push(rest.slice(1, end));
      rest = rest.slice(end + 1);
    } else {
      const field = /^[^ \t\n\r]+/.exec(rest)?.[0];
      fields.push(field);
      rest = rest.slice(field.length);
    }
  }
}
function refusedGoflags(stderr) {
  return stderr.split("\n").find((line) => GOFLAGS_REFUSED.test(line));
}
var GOFLAGS_REFUSED = /^go: (parsing \$GOFLAGS: |(invalid (boolean )?value .* for flag|invalid boolean flag|flag needs an argument:) -\S+ \(from [$%]GOFLAGS%?\)(: |$))/;

// src/engine/inputs.ts
import { existsSync as existsSync4, statSync as statSync2 } from "node:fs";
import path13 from "node:path";
var DEFAULTS = {
  proxies: "",
  selection: "ordered",
  "probe-timeout": "5s",
  timeout: "10m",
  "stall-timeout": "60s",
  retries: "3",
  "working-directory": ".",
  cache: "true",
  "cache-dependency-path": "",
  "save-cache": "true",
  "cache-contents": "downloads",
  "build-cache": "false",
  prefetch: "true",
  concurrency: "64",
  "cache-timeout": "5m",
  "protect-later-steps": "true",
  "later-steps-idle-timeout": "2h"
};
var MAX_DURATION_MS = 120 * 36e5;
var MAX_RETRIES = 20;
var MAX_CONCURRENCY = 256;
var InputError = class extends Error {
  input;
  /** What is wrong, without the input's name. */
  problem;
  /** Credentials the value held, which the problem does not show: to be masked all the same. */
  secrets;
  /**
   * `input`: an input's name, or a setting that is none (`GOFLAGS (from go env GOFLAGS)`,
   * `proxies (from go env GOPROXY)`), which the message does not call an input.
   */
  constructor(input, problem, secrets = []) {
    super(/^[a-z-]+$/.test(input) ? `Input "${input}": ${problem}` : `${input}: ${problem}`);
    this.name = "InputError";
    this.input = input;
    this.problem = problem;
    this.secrets = secrets;
  }
};
function parseSettings(read, workspace) {
  const value = (name) => read(name).trim() || DEFAULTS[name];
  const workingDirectory = path13.resolve(workspace, value("working-directory"));
  const settings = {
    candidates: read("proxies").trim() === "" ? void 0 : candidatesFrom("proxies", value("proxies")),
    selection: oneOf("selection", value("selection"), ["ordered", "fastest"]),
    probeTimeoutMs: duration("probe-timeout", value("probe-timeout")),
    timeoutMs: duration("timeout", value("timeout")),
    stallTimeoutMs: duration("stall-timeout", value("stall-timeout")),
    retries: wholeNumber("retries", value("retries"), 0, MAX_RETRIES),
    cache: boolean("cache", value("cache")),
    cacheDependencyPath: value("cache-dependency-path").split("\n").map((l) => l.trim()).filter((l) => l !== ""),
    saveCache: boolean("save-cache", value("save-cache")),
    cacheContents: oneOf("cache-contents", value("cache-contents"), ["downloads", "everything"]),
    buildCache: boolean("build-cache", value("build-cache")),
    prefetch: boolean("prefetch", value("prefetch")),
    concurrency: wholeNumber("concurrency", value("concurrency"), 1, MAX_CONCURRENCY),
    cacheTimeoutMs: duration("cache-timeout", value("cache-timeout")),
    protectLaterSteps: boolean("protect-later-steps", value("protect-later-steps")),
    laterStepsIdleMs: duration("later-steps-idle-timeout", value("later-steps-idle-timeout"))
  };
  return { ...settings, workingDirectory: goModuleDir(workingDirectory) };
}
function candidatesFrom(input, text) {
  try {
    return parseCandidates(text);
  } catch (e) {
    throw new InputError(input, e.message, e instanceof EntryError ? e.secrets : []);
  }
}
function refused(input, text, problem) {
  return new InputError(input, `"${redactEntry(text)}" ${problem}`, refusedSecrets(text));
}
function oneOf(input, text, allowed) {
  if (allowed.includes(text)) return text;
  throw refused(input, text, `is not one of: ${allowed.join(", ")}`);
}
function duration(input, text) {
  const ms = parseDuration(text);
  if (ms === void 0) {
    throw refused(input, text, "is not a duration; write it like 90s, 1m30s, 10m or a number of seconds");
  }
  if (ms <= 0) throw refused(input, text, "must be longer than zero");
  if (ms > MAX_DURATION_MS) throw refused(input, text, `is longer than the ${formatDuration(MAX_DURATION_MS)} allowed (no job runs longer)`);
  return ms;
}
function wholeNumber(input, text, min, max) {
  if (!/^\d+$/.test(text)) throw refused(input, text, `is not a whole number of ${min === 0 ? "zero" : min} or more`);
  const n = Number(text);
  if (n < min) throw new InputError(input, `${n} is less than ${min}`);
  if (n > max) throw new InputError(input, `${n} is more than the ${max} allowed`);
  return n;
}
var TRUE = ["true", "True", "TRUE"];
var FALSE = ["false", "False", "FALSE"];
function boolean(input, text) {
  if (TRUE.includes(text)) return true;
  if (FALSE.includes(text)) return false;
  throw refused(input, text, "is not true or false");
}
function goModuleDir(dir) {
  if (!existsSync4(dir) || !statSync2(dir).isDirectory()) {
    throw new InputError("working-directory", `${dir} is not a directory`);
  }
  if (!existsSync4(path13.join(dir, "go.mod")) && !existsSync4(path13.join(dir, "go.work"))) {
    throw new InputError("working-directory", `${dir} holds neither go.mod nor go.work`);
  }
  return dir;
}

// src/download/go-runs.ts
import os9 from "node:os";

// src/download/attempt.ts
import path16 from "node:path";

// src/util/files.ts
import { promises as fs6 } from "node:fs";
import path14 from "node:path";
async function treeBytes(dir) {
  let entries;
  try {
    entries = await fs6.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    const full = path14.join(dir, entry.name);
    if (entry.isDirectory()) total += await treeBytes(full);
    else if (entry.isFile()) total += await fs6.stat(full).then((s) => s.size, () => 0);
  }
  return total;
}

// src/go/git.ts
import { existsSync as existsSync5 } from "node:fs";
import path15 from "node:path";
function packsOnDisk(base) {
  const given = base.GIT_CONFIG_COUNT ?? "0";
  if (!/^\d+$/.test(given)) return {};
  const count = Number(given);
  for (let i = 0; i < count; i++) {
    if (/^(fetch|transfer)\.unpacklimit$/i.test(base[`GIT_CONFIG_KEY_${i}`] ?? "")) return {};
  }
  return { GIT_CONFIG_COUNT: String(count + 1), [`GIT_CONFIG_KEY_${count}`]: "fetch.unpackLimit", [`GIT_CONFIG_VALUE_${count}`]: "1" };
}
var GIT_CONFIG_TIMEOUT_MS = 5e3;
async function gitSecrets(dir, env) {
  let cwd = path15.resolve(dir);
  while (!existsSync5(cwd) && path15.dirname(cwd) !== cwd) cwd = path15.dirname(cwd);
  const lines = [];
  const child = spawnGroup("git", ["config", "--null", "--get-regexp", "^url\\..*\\.(push)?insteadof$"], { cwd, env, onLine: (line) => lines.push(line) });
  const deadline2 = setTimeout(() => void child.kill(), GIT_CONFIG_TIMEOUT_MS);
  try {
    if ((await child.exited).code !== 0) return [];
  } catch {
    return [];
  } finally {
    clearTimeout(deadline2);
  }
  return lines.join("\n").split("\0").filter((entry) => entry !== "").flatMap((entry) => {
    const newline = entry.indexOf("\n");
    const key4 = newline < 0 ? entry : entry.slice(0, newline);
    const base = key4.replace(/^url\./i, "").replace(/\.(push)?insteadof$/i, "");
    return [...secretsIn(base), ...newline < 0 ? [] : secretsIn(entry.slice(newline + 1))];
  });
}

// src/module/absent.ts
function isAbsent(status) {
  return status === 404 || status === 410;
}
var ABSENT_IN_GO_ERROR = /\breading \S+: (404|410)$|\breading file:\S+: no such file or directory$/;

// src/download/classify.ts
var HTTP_STATUS = /^(.*?\breading \S+: \d{3})\b/;
var RAW_QUOTES = ["proxy returned info for version ", " has unexpected file "];
function goLines(lines) {
  const own = [];
  for (const printed of lines) {
    const line = printed.split("\r")[0];
    if (/^\s/.test(line)) continue;
    const quote = RAW_QUOTES.find((q) => line.includes(q));
    if (quote) {
      const words = line.slice(0, line.indexOf(quote) + quote.length).trimEnd();
      own.push({ words, line: words });
      break;
    }
    const status = HTTP_STATUS.exec(line);
    own.push({ words: status ? status[1] : line, line });
  }
  return own;
}
var RULES = [
  // A mirror served bytes that go.sum disagrees with: that candidate is never trusted again.
  { reason: "checksum mismatch", next: "drop-first", pattern: /: checksum mismatch$|^SECURITY ERROR$/ },
  // The project's own files and settings: no proxy can change them.
  { reason: "invalid go.mod", next: "stop", pattern: /^go: errors parsing go\.mod:$|^\S*go\.mod:\d+(:\d+)?: |go\.mod file not found|^go: updates to go\.mod needed/ },
  { reason: "invalid go.work", next: "stop", pattern: /^go: errors parsing go\.work:$|^go: cannot load module .+ listed in go\.work file: / },
  { reason: "replacement missing", next: "stop", pattern: /^go: \S+ \(replaced by [^)]+\): reading \S*go\.mod: / },
  { reason: "invalid GOFLAGS", next: "stop", pattern: GOFLAGS_REFUSED },
  { reason: "missing go.sum entry", next: "stop", pattern: /missing go\.sum entry/ },
  { reason: "proxy disabled", next: "stop", pattern: /disabled by GOPROXY=off/ },
  // The installed go is older than go.mod asks, and may not switch: no proxy can change that.
  { reason: "go too old", next: "stop", pattern: /requires go >= \S+ \(running go \S+; GOTOOLCHAIN=\S+\)$/ },
  // A proxy answered what go refuses (another version's .info, a zip with foreign files): another may not.
  { reason: "bad answer", next: "rotate", pattern: /proxy returned info for version$| has unexpected file$/ },
  { reason: "unknown revision", next: "stop", pattern: /unknown revision|invalid version: /i },
  // With `|`, go reports "not found" only when no candidate had the module.
  { reason: "not found", next: "stop", pattern: ABSENT_IN_GO_ERROR },
  // golang/go#51323: proxies that reset HTTP/2 streams; the next attempt speaks HTTP/1.1.
  { reason: "http2 stream error", next: "rotate", pattern: /stream error|INTERNAL_ERROR|http2: / },
  {
    reason: "network",
    next: "rotate",
    pattern: /dial tcp|connection refused|connection reset|i\/o timeout|EOF|TLS|tls:|x509|no such host|\breading \S+: 5\d\d$|unexpected status/
  }
];
function classify(outcome) {
  if (outcome.endedBy !== "exit") {
    const waiting = outcome.waitingOn.slice(0, 3).join(", ");
    return { reason: outcome.endedBy, next: "rotate", detail: waiting ? `waiting on ${waiting}` : "no progress" };
  }
  if (outcome.exit.code === 0) return { reason: "ok", next: "done", detail: "" };
  const own = goLines(outcome.errors);
  for (const rule of RULES) {
    const found = own.find((l) => rule.pattern.test(l.words));
    if (found !== void 0) return { reason: rule.reason, next: rule.next, detail: withQuote(found.line, outcome.errors) };
  }
  const last = own.filter((l) => l.words.trim() !== "").at(-1)?.line;
  return { reason: "error", next: "rotate", detail: last === void 0 ? `exit code ${outcome.exit.code ?? outcome.exit.signal}` : withQuote(last, outcome.errors) };
}
var QUOTE_SHOWN = 300;
function withQuote(line, errors) {
  const shown = line.trim();
  if (!shown.endsWith(":")) return shown;
  const at = errors.findIndex((printed) => printed.split("\r")[0] === line);
  if (at < 0) return shown;
  const following = errors.slice(at + 1);
  const quoteEnds = following.findIndex((next) => !/^\s/.test(next));
  const quoted2 = following.slice(0, quoteEnds < 0 ? void 0 : quoteEnds).find((next) => next.trim() !== "");
  if (quoted2 === void 0) return shown;
  const words = quoted2.split("\r")[0].trim();
  return `${shown} ${words.length > QUOTE_SHOWN ? `${words.slice(0, QUOTE_SHOWN)}\u2026` : words}`;
}

// src/download/attempt.ts
var TAIL_LINES = 60;
var REQUEST = /^# get (\S+?)(:\s.*)?$/;
var ZIP_FETCHED = /^# get \S+\.zip: 200 /;
var STATUS = /^: (\d{3}) /;
var answered2 = (rest) => {
  const status = Number(STATUS.exec(rest)?.[1]);
  return status >= 200 && status < 300 || isAbsent(status);
};
var counting = /* @__PURE__ */ new Map();
async function runAttempt(options) {
  const started = performance.now();
  const cacheDir = path16.join(options.modcache, "cache");
  const errors = [];
  const open2 = /* @__PURE__ */ new Set();
  const failedRequests = [];
  let zips = 0;
  let lastProgress = started;
  let lastBytes = 0;
  let measuredAt = started;
  const child = spawnGroup(options.go, ["mod", "download", "-x", ...options.modules ?? []], {
    cwd: options.cwd,
    env: options.env,
    onLine: (line) => {
      options.onLine?.(line);
      const request = REQUEST.exec(line);
      if (request && request[2] === void 0) {
        open2.add(request[1]);
        return;
      }
      lastProgress = performance.now();
      if (request) {
        open2.delete(request[1]);
        if (!answered2(request[2])) failedRequests.push(request[1]);
      } else {
        errors.push(line);
        if (errors.length > TAIL_LINES) errors.shift();
      }
      if (ZIP_FETCHED.test(line) && !(options.notCountingZipsFrom && line.startsWith(`# get ${options.notCountingZipsFrom}/`))) zips++;
    }
  });
  let endedBy = "exit";
  let exited = false;
  const end = (by) => {
    endedBy = by;
    void child.kill();
  };
  const tick = stallCheckEveryMs(options.stallTimeoutMs);
  let countingSince;
  const watchdog = setInterval(async () => {
    if (endedBy !== "exit") return;
    const now = performance.now();
    if (now - started > options.timeoutMs) return end("timeout");
    if (countingSince !== void 0) {
      if (now - Math.max(countingSince, lastProgress) > options.stallTimeoutMs) end("stall");
      return;
    }
    if (now - lastProgress <= tick) return;
    countingSince = now;
    let count = counting.get(cacheDir);
    if (!count) {
      count = treeBytes(cacheDir).finally(() => counting.delete(cacheDir));
      counting.set(cacheDir, count);
    }
    const bytes = await count + (options.progress?.() ?? 0);
    countingSince = void 0;
    if (endedBy !== "exit" || exited) return;
    const comparable = measuredAt > lastProgress;
    const since = measuredAt;
    measuredAt = performance.now();
    if (comparable && bytes - lastBytes >= FLOOR_BYTES_PER_SEC * (measuredAt - since) / 1e3) lastProgress = measuredAt;
    lastBytes = bytes;
    if (measuredAt - lastProgress > options.stallTimeoutMs) end("stall");
  }, tick);
  try {
    const exit = await child.exited;
    exited = true;
    const ended = { exit, endedBy, durationMs: performance.now() - started, errors, waitingOn: [...open2, ...options.alsoWaitingOn?.() ?? []], zips, failedRequests };
    return { ...ended, classification: classify(ended) };
  } finally {
    clearInterval(watchdog);
  }
}
var isModcacherw = (flag) => /^--?modcacherw(=|$)/.test(flag);
function downloadEnv(base, goproxy, goflags, http1 = false) {
  const flags = goflagsFields(goflags).some(isModcacherw) ? goflags.trim() : [goflags.trim(), "-modcacherw"].filter(Boolean).join(" ");
  const guards = {
    GIT_TERMINAL_PROMPT: "0",
    GCM_INTERACTIVE: "never",
    // git aborts a transfer slower than 1 KB/s for 30 s instead of hanging on it.
    GIT_HTTP_LOW_SPEED_LIMIT: "1000",
    GIT_HTTP_LOW_SPEED_TIME: "30"
  };
  if (!base.GIT_SSH_COMMAND && !base.GIT_SSH) {
    guards.GIT_SSH_COMMAND = "ssh -o BatchMode=yes -o ConnectTimeout=30";
  }
  return { ...guards, ...base, ...packsOnDisk(base), GOPROXY: goproxy, GOFLAGS: flags, ...http1 ? { GODEBUG: withHttp1(base.GODEBUG) } : {} };
}
function extractsWritable(goflags) {
  const last = goflagsFields(goflags).filter(isModcacherw).pop();
  return last === void 0 || !/=(false|0|f|F|FALSE|False)$/.test(last);
}
function withHttp1(godebug) {
  return [godebug, "http2client=0"].filter(Boolean).join(",");
}

// src/download/go-output.ts
var REQUEST_ENDED = /^# get (\S+?): (.*)$/;
var STATUS2 = /^(\d{3}) /;
var WORK_DIR = /^(?:mkdir -p (.+) # |# (.+) for )(git3|vcs1\.\w+) (\S+)$/;
var COMMAND_DONE = /^\d+\.\d{3}s # (cd .+)$/;
var COMMAND_STARTED = /^cd (.+?); (\S+)(.*)$/;
var PING = /^(git|hg|svn|bzr|fossil) (.+)$/;
var GoOutput = class {
  requests = { answered: [], unanswered: [] };
  /** Repository by work directory. */
  remotes = /* @__PURE__ */ new Map();
  /** Commands started in a work directory and not done, by their text. */
  running = /* @__PURE__ */ new Map();
  /** A command of cmd/go/internal/vcs's, until go prints anything after it. */
  ping;
  line(text) {
    this.ping = void 0;
    const request = REQUEST_ENDED.exec(text);
    if (request) {
      const status = Number(STATUS2.exec(request[2])?.[1]);
      (status >= 200 && status < 300 ? this.requests.answered : this.requests.unanswered).push(request[1]);
      return;
    }
    const dir = WORK_DIR.exec(text);
    if (dir) {
      this.remotes.set(dir[1] ?? dir[2], dir[4]);
      return;
    }
    const done = COMMAND_DONE.exec(text);
    if (done) {
      const count = (this.running.get(done[1]) ?? 1) - 1;
      if (count > 0) this.running.set(done[1], count);
      else this.running.delete(done[1]);
      return;
    }
    if (COMMAND_STARTED.test(text)) {
      this.running.set(text, (this.running.get(text) ?? 0) + 1);
      return;
    }
    if (PING.test(text)) this.ping = text;
  }
  /** What go was waiting on in its version-control commands, for people: `git fetch of https://git.example.com/repo`. */
  waitingOn() {
    const commands = [...this.running.keys()].map((text) => {
      const [, dir, tool, args] = COMMAND_STARTED.exec(text);
      const remote = this.remotes.get(dir);
      return `${tool} ${subcommand(args)}${remote ? ` of ${remote}` : ""}`.trim();
    });
    return this.ping ? [...commands, this.ping] : commands;
  }
};
function subcommand(args) {
  const words = args.trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === "-c" || word === "-C") i++;
    else if (!word.startsWith("-")) return word;
  }
  return "";
}

// src/download/go-runs.ts
var PROGRESS_EVERY_MS = 250;
function goRuns(o) {
  let http1 = false;
  const requests = { answered: [], unanswered: [] };
  const run2 = async (goproxy, fetch, modules) => {
    const output2 = new GoOutput();
    const first = goproxy.split(/[,|]/).find((p) => !fetch || p !== fetch.url);
    const progress = setInterval(() => port.progress({ files: output2.requests.answered.length, planned: 0, bytes: fetch?.progress() ?? 0, ...first ? { candidate: first } : {} }), PROGRESS_EVERY_MS);
    progress.unref();
    const outcome = await runAttempt({
      go: o.go,
      // Named modules (a toolchain) are fetched outside the project, by the installed go.
      cwd: modules ? os9.tmpdir() : o.workingDirectory,
      env: {
        ...downloadEnv(processEnv(), goproxy, o.goflags, http1),
        ...modules ? { GOTOOLCHAIN: "local", GOWORK: "off" } : {},
        // GONOPROXY modules are fetched direct even with GOPROXY=off: a check of the module cache must not clone them.
        ...goproxy === "off" ? { GONOPROXY: "none" } : {},
        // go asks the local proxy for what go.sum lacks; it relays over the routes go would take.
        ...fetch?.gosumdb ? { GOSUMDB: fetch.gosumdb } : {}
      },
      ...modules ? { modules } : {},
      modcache: o.modcache,
      timeoutMs: o.timeoutMs,
      stallTimeoutMs: o.stallTimeoutMs,
      onLine: (line) => {
        port.echo(line);
        output2.line(line);
      },
      // A clone the watchdog ended is named as a request would be.
      alsoWaitingOn: () => output2.waitingOn(),
      ...fetch ? { progress: fetch.progress, notCountingZipsFrom: fetch.url } : {}
    }).finally(() => clearInterval(progress));
    requests.answered.push(...output2.requests.answered);
    requests.unanswered.push(...output2.requests.unanswered);
    if (!http1 && outcome.classification.reason === "http2 stream error") {
      http1 = true;
      port.info("go met HTTP/2 stream errors (golang/go#51323): its next attempts, and later steps, speak HTTP/1.1 (GODEBUG=http2client=0).");
    }
    return outcome;
  };
  const forLaterSteps = () => http1 ? { GODEBUG: withHttp1(process.env.GODEBUG) } : {};
  return { run: run2, forLaterSteps, requests };
}

// src/fetch/stage.ts
import { randomBytes as randomBytes6 } from "node:crypto";
import { mkdtempSync as mkdtempSync3 } from "node:fs";
import { rm as rm3 } from "node:fs/promises";
import os10 from "node:os";
import path20 from "node:path";

// src/fetch/concurrency.ts
var SLOW_ANSWER_MS = 40;
function startLimit(latencyMs, ceiling) {
  return Math.min(ceiling, latencyMs >= SLOW_ANSWER_MS ? 32 : 16);
}
var MIN_LIMIT = 2;
var WINDOW_MS = 200;
var UP_GAIN = 0.25;
var DOWN_LOSS = 0.12;
var HOLD_WINDOWS = 4;
var WARM_UP_WINDOWS = 2;
function nextLimit(state, delivered, busy, ceiling) {
  if (!busy) return state;
  if (state.hold) return { limit: state.limit, direction: state.direction, hold: state.hold - 1 };
  const { before } = state;
  if (before && before.limit !== state.limit) {
    const wentUp = state.limit > before.limit;
    const undo = wentUp ? delivered < before.delivered * (1 + UP_GAIN) : delivered < before.delivered * (1 - DOWN_LOSS);
    if (undo) return { limit: before.limit, direction: wentUp ? -1 : 1, hold: HOLD_WINDOWS };
  }
  const limit = state.direction > 0 ? Math.min(ceiling, state.limit * 2) : Math.max(MIN_LIMIT, Math.floor(state.limit / 2));
  if (limit === state.limit) return { limit, direction: state.direction > 0 ? -1 : 1 };
  return { limit, direction: state.direction, before: { limit: state.limit, delivered } };
}
var Limiter = class {
  limit;
  active = 0;
  waiting = [];
  constructor(limit) {
    this.limit = limit;
  }
  async acquire() {
    if (this.active >= this.limit) await new Promise((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.wake();
    };
  }
  setLimit(limit) {
    this.limit = limit;
    this.wake();
  }
  wake() {
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()();
    }
  }
};

// src/go/semver.ts
function parse(version) {
  const m = /^v(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  if (!m) return void 0;
  return { numbers: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], prerelease: m[4] ? m[4].split(".") : [] };
}
function comparePrerelease(a, b) {
  if (a.length === 0 || b.length === 0) return a.length === 0 ? b.length === 0 ? 0 : 1 : -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === void 0 || y === void 0) return x === void 0 ? -1 : 1;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return x.length !== y.length ? x.length - y.length : x < y ? -1 : 1;
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
function compareVersions(a, b) {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < 3; i++) {
    const d = pa.numbers[i] - pb.numbers[i];
    if (d !== 0) return d;
  }
  return comparePrerelease(pa.prerelease, pb.prerelease);
}
function compareGoVersions(a, b) {
  const key4 = (v) => {
    const m = v && /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, -2, 0, 0];
    const kind = m[4] === "beta" ? 0 : m[4] === "rc" ? 1 : m[3] !== void 0 ? 2 : -1;
    return [Number(m[1]), Number(m[2] ?? 0), m[3] !== void 0 ? Number(m[3]) : -1, kind, Number(m[5] ?? 0)];
  };
  const ka = key4(a);
  const kb = key4(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
  return 0;
}

// src/go/gomod.ts
function directives(text) {
  const out = [];
  let block;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (line === "") continue;
    if (block !== void 0) {
      if (line === ")") block = void 0;
      else out.push({ verb: block, args: tokens(line) });
      continue;
    }
    const [verb, ...args] = tokens(line);
    if (!verb) continue;
    if (args.length === 1 && args[0] === "(") block = verb;
    else out.push({ verb, args });
  }
  return out;
}
function tokens(line) {
  const words = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g;
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) {
    words.push(m[1] !== void 0 ? JSON.parse(`"${m[1]}"`) : m[2] ?? m[3] ?? "");
  }
  return words;
}
function replacement(args) {
  const arrow = args.indexOf("=>");
  if (arrow < 1) return void 0;
  const [fromPath, fromVersion] = args.slice(0, arrow);
  const [toPath, toVersion] = args.slice(arrow + 1);
  if (!fromPath || !toPath) return void 0;
  return { from: { path: fromPath, ...fromVersion ? { version: fromVersion } : {} }, to: { path: toPath, ...toVersion ? { version: toVersion } : {} } };
}
function parseGoMod(text) {
  const file2 = { module: "", require: [], replace: [], exclude: [] };
  for (const { verb, args } of directives(text)) {
    const [first, second] = args;
    if (verb === "module" && first) file2.module = first;
    else if (verb === "go" && first) file2.go = first;
    else if (verb === "toolchain" && first) file2.toolchain = first;
    else if (verb === "require" && first && second) file2.require.push({ path: first, version: second });
    else if (verb === "exclude" && first && second) file2.exclude.push({ path: first, version: second });
    else if (verb === "replace") {
      const r = replacement(args);
      if (r) file2.replace.push(r);
    }
  }
  return file2;
}
function parseGoWork(text) {
  const file2 = { use: [], replace: [] };
  for (const { verb, args } of directives(text)) {
    if (verb === "go" && args[0]) file2.go = args[0];
    else if (verb === "toolchain" && args[0]) file2.toolchain = args[0];
    else if (verb === "use" && args[0]) file2.use.push(args[0]);
    else if (verb === "replace") {
      const r = replacement(args);
      if (r) file2.replace.push(r);
    }
  }
  return file2;
}
function isLocalPath(path34) {
  return path34.startsWith("./") || path34.startsWith("../") || path34.startsWith("/") || path34 === "." || path34 === ".." || /^[A-Za-z]:[\\/]/.test(path34) || path34.startsWith(".\\") || path34.startsWith("..\\");
}

// src/fetch/download-set.ts
var PRUNING_SINCE = "1.17";
var key = (m) => `${m.path}@${m.version}`;
function planDownloads(input, loaded) {
  const mainPaths = new Set(input.mains.map((m) => m.mod.module));
  const excluded = new Set(input.mains.flatMap((m) => m.mod.exclude.map(key)));
  const replace = replacer(input);
  const unprunedMain = !input.workspace && compareGoVersions(input.mains[0]?.mod.go, PRUNING_SINCE) < 0;
  const nodes = /* @__PURE__ */ new Map();
  const missing = /* @__PURE__ */ new Map();
  const loadedKeys = /* @__PURE__ */ new Set();
  const seen = /* @__PURE__ */ new Set();
  const keep2 = (m) => m.version !== "none" && !excluded.has(key(m)) && !mainPaths.has(m.path);
  const visit = (m, unpruned) => {
    const id = `${key(m)}|${unpruned}`;
    if (seen.has(id)) return;
    seen.add(id);
    nodes.set(key(m), m);
    const summary2 = loaded.get(key(m));
    if (!summary2) {
      missing.set(key(m), source(m, replace));
      return;
    }
    loadedKeys.add(key(m));
    const required = summary2.require.filter(keep2);
    for (const r of required) nodes.set(key(r), r);
    const summaryUnpruned = compareGoVersions(summary2.go, PRUNING_SINCE) < 0;
    if (unpruned || summaryUnpruned) for (const r of required) visit(r, true);
  };
  for (const main of input.mains) for (const r of main.mod.require.filter(keep2)) visit(r, unprunedMain);
  const selected = /* @__PURE__ */ new Map();
  for (const m of nodes.values()) {
    const current2 = selected.get(m.path);
    if (current2 === void 0 || compareVersions(m.version, current2) > 0) selected.set(m.path, m.version);
  }
  const listed2 = input.workspace || unprunedMain ? [...selected.keys()] : [...new Set(input.mains.flatMap((m) => m.mod.require.filter((r) => !mainPaths.has(r.path)).map((r) => r.path)))];
  const downloads = listed2.flatMap((path34) => {
    const version = selected.get(path34);
    if (version === void 0) return [];
    const to = replace({ path: path34, version });
    return to && to.kind === "proxy" ? [to.module] : [];
  });
  const graphMods = [...loadedKeys].flatMap((k) => {
    const from = source(nodes.get(k), replace);
    return from.kind === "proxy" ? [from.module] : [];
  });
  return {
    missing: [...missing].map(([k, s]) => ({ key: k, source: s })),
    graphMods: unique(graphMods),
    downloads: unique(downloads).sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : compareVersions(a.version, b.version))
  };
}
function likelyDownloads(input) {
  const main = input.mains[0];
  if (input.workspace || input.mains.length !== 1 || !main || compareGoVersions(main.mod.go, PRUNING_SINCE) < 0) return [];
  const touched = new Set([...input.workReplace, ...main.mod.replace].map((r) => r.from.path));
  const excluded = new Set(main.mod.exclude.map(key));
  return unique(main.mod.require.filter((r) => r.version !== "none" && r.path !== main.mod.module && !touched.has(r.path) && !excluded.has(key(r))));
}
function unique(list) {
  return [...new Map(list.map((m) => [key(m), m])).values()];
}
function replacer(input) {
  const rules = [...input.workReplace.map((r) => ({ r, dir: input.workDir ?? "" })), ...input.mains.flatMap((m) => m.mod.replace.map((r) => ({ r, dir: m.dir })))];
  return (m) => {
    const rule = rules.find(({ r }) => r.from.path === m.path && r.from.version === m.version) ?? rules.find(({ r }) => r.from.path === m.path && r.from.version === void 0);
    if (!rule) return { kind: "proxy", module: m };
    const to = rule.r.to;
    if (isLocalPath(to.path) || to.version === void 0) return { kind: "dir", dir: to.path.startsWith("/") || !rule.dir ? to.path : `${rule.dir}/${to.path}` };
    return { kind: "proxy", module: { path: to.path, version: to.version } };
  };
}
function source(m, replace) {
  return replace(m) ?? { kind: "proxy", module: m };
}

// src/fetch/resolve.ts
import { promises as fs7 } from "node:fs";
import path17 from "node:path";
async function readProject(dir, gowork) {
  const workFile = gowork !== "" && gowork !== "off" ? gowork : void 0;
  if (workFile) {
    const work = parseGoWork(await fs7.readFile(workFile, "utf8"));
    const root = path17.dirname(workFile);
    const mains = await Promise.all(
      work.use.map(
        async (use) => (
          // go refuses such a workspace before any request; so does the step, in go's words.
          mainModule(path17.resolve(root, use)).catch((e) => {
            throw new Error(`go: cannot load module ${use} listed in go.work file: ${e.message}`);
          })
        )
      )
    );
    return { mains, workspace: true, workReplace: work.replace, workDir: root };
  }
  return { mains: [await mainModule(dir)], workspace: false, workReplace: [] };
}
async function mainModule(dir) {
  return { dir, mod: parseGoMod(await fs7.readFile(path17.join(dir, "go.mod"), "utf8")) };
}
var summaryOf = (mod) => ({ ...mod.go ? { go: mod.go } : {}, require: mod.require });
async function resolveDownloads(input, fetchMod) {
  const loaded = /* @__PURE__ */ new Map();
  const unresolved = [];
  for (; ; ) {
    const plan = planDownloads(input, loaded);
    if (plan.missing.length === 0) return { ...plan, unresolved };
    await Promise.all(
      plan.missing.map(async ({ key: key4, source: source2 }) => {
        const text = source2.kind === "dir" ? await fs7.readFile(path17.join(path17.resolve(input.mains[0]?.dir ?? ".", source2.dir), "go.mod"), "utf8").catch(() => void 0) : await fetchMod(source2.module);
        if (text === void 0) unresolved.push(key4);
        loaded.set(key4, text === void 0 ? { go: "1.17", require: [] } : summaryOf(parseGoMod(text)));
      })
    );
  }
}

// src/fetch/speculate.ts
var filePath = (m, kind) => downloadPath(m.path, m.version, kind);
function speculate(fetcher, known, downloadCache, options) {
  const figures = { planned: 0, plannedZips: 0, unresolved: 0, peakLimit: 0 };
  const stop = new AbortController();
  const limiter = new Limiter(startLimit(options.candidates[0]?.latencyMs ?? 0, options.concurrency));
  figures.peakLimit = limiter.limit;
  let climb = { limit: limiter.limit, direction: 1, hold: WARM_UP_WINDOWS };
  let windowStart = fetcher.bytes;
  let completed = 0;
  let busy = false;
  let lastDone = performance.now();
  const adapt = setInterval(() => {
    const delivered = fetcher.bytes - windowStart + completed * 16384;
    climb = nextLimit(climb, delivered, busy, options.concurrency);
    limiter.setLimit(climb.limit);
    figures.peakLimit = Math.max(figures.peakLimit, climb.limit);
    windowStart = fetcher.bytes;
    completed = 0;
    busy = false;
  }, WINDOW_MS);
  const halt = (why) => {
    if (stop.signal.aborted) return;
    stop.abort(why ?? "go finished");
    if (why) figures.stopped = why;
  };
  const watchdog = setInterval(() => {
    if (performance.now() - lastDone > options.stallTimeoutMs) halt(`no file completed for ${Math.round(options.stallTimeoutMs / 1e3)}s`);
  }, stallCheckEveryMs(options.stallTimeoutMs));
  const fetchOne = async (job) => {
    if (stop.signal.aborted) return void 0;
    const release2 = await limiter.acquire();
    try {
      busy ||= limiter.active >= limiter.limit;
      if (stop.signal.aborted) return void 0;
      const outcome = await fetcher.get(job, { speculative: true, onFetched: release2 });
      if (outcome.kind === "file") {
        lastDone = performance.now();
        completed++;
      }
      return outcome;
    } finally {
      release2();
    }
  };
  const fetchMod = async (m) => {
    const job = known.get(filePath(m, "mod"));
    if (options.isPrivate(m.path) || !job) return void 0;
    if (downloadCache.stored(job)) return downloadCache.read(job, MAX_BYTES.mod).toString("utf8");
    const outcome = await fetchOne(job);
    if (outcome?.kind !== "file") return void 0;
    try {
      return readOpened(outcome.open(), MAX_BYTES.mod).toString("utf8");
    } catch {
      return void 0;
    }
  };
  const fetchUnlessStored = (job) => downloadCache.stored(job) ? void 0 : fetchOne(job);
  const done = (async () => {
    try {
      const planning = performance.now();
      for (const m of likelyDownloads(options.project)) {
        if (options.isPrivate(m.path)) continue;
        for (const kind of ["zip", "info"]) {
          const job = known.get(filePath(m, kind));
          if (job) fetchUnlessStored(job)?.catch(() => void 0);
        }
      }
      const plan = await resolveDownloads(options.project, fetchMod);
      const planned = performance.now();
      traceSpan("plan (go.mod files fetched to find the download set)", planning, planned);
      figures.unresolved = plan.unresolved.filter((key4) => !options.isPrivate(key4.slice(0, key4.lastIndexOf("@")))).length;
      const paths = /* @__PURE__ */ new Set([
        ...plan.graphMods.map((m) => filePath(m, "mod")),
        ...plan.downloads.flatMap((m) => ["info", "mod", "zip"].map((kind) => filePath(m, kind)))
      ]);
      const jobs = [...paths].flatMap((p) => known.get(p) ?? []);
      figures.planned = jobs.length;
      figures.plannedZips = jobs.filter((j) => j.kind === "zip").length;
      await Promise.all(jobs.map(fetchUnlessStored));
      traceSpan("speculative fetch of the download set", planned);
    } finally {
      clearInterval(adapt);
      clearInterval(watchdog);
    }
  })();
  return {
    done: done.catch(() => void 0),
    stop: halt,
    figures
  };
}

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
function movedBecause(s) {
  if (!isTroubled(s)) return void 0;
  if (s.rejected > 0) return `served bytes go.sum disagrees with (${s.rejected}\xD7); moved behind`;
  const parts = [s.stalls > 0 ? `stalled on ${s.stalls}` : "", s.failures > 0 ? `failed ${s.failures}` : ""].filter(Boolean);
  const streak = failsOften(s) ? "" : `, ${s.stallStreak} of one kind in a row`;
  return `${parts.join(" and ")} of ${s.requests} requests${streak}; moved behind`;
}

// src/fetch/store.ts
import { randomBytes as randomBytes4 } from "node:crypto";
import { accessSync as accessSync2, constants as constants6, mkdirSync as mkdirSync3, renameSync as renameSync2 } from "node:fs";
import path18 from "node:path";
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
    return openBelow(this.options.root, path18.posix.join(dir, name));
  }
  /** The stored file of `job` (a go.mod the planner reads), never through a link, at most `maxBytes`. */
  read(job, maxBytes) {
    const { dir, name } = this.place(job);
    return readBelow(this.options.root, path18.posix.join(dir, name), maxBytes);
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
          this.temporary.delete(key2(dir, temp));
          if (job.kind === "zip" && job.hash) this.writeNew(at, dir, `${name}hash`, job.hash);
        } finally {
          if (typeof lock === "function") lock();
        }
        return { file: this.shown(job), placed, open: () => this.open(job) };
      },
      end: async () => {
        try {
          if (!kept2) unlinkEntry(at, temp);
          this.temporary.delete(key2(dir, temp));
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
    return { dir: path18.posix.join(this.options.downloads, path18.posix.dirname(job.path)), name: path18.posix.basename(job.path) };
  }
  /** The path the file is known by (to serve it): as a person reads it. */
  shown(job) {
    return path18.join(this.options.root, this.options.downloads, job.path);
  }
  /** Where go extracts the job's module (`<escaped module>@<escaped version>`, beside the download cache), and a new directory beside it to write into first, named as go names its own leftovers (`<dir>.tmp-*`), which go removes when it extracts the module itself. */
  treeTarget(job) {
    const final = treePath(job.module, job.version);
    return { root: this.options.root, parent: path18.posix.dirname(final), name: `${path18.posix.basename(final)}.tmp-${uniqueSuffix()}`, prefix: `${job.module}@${job.version}/` };
  }
  /**
   * go's lock on the module version: a release function, `undefined` when no lock can be taken
   * here (no perl, Windows), or `busy` when another process held it past the bound. When go
   * itself waits for this zip, it holds the lock for us: `goAsked` aborts, and that is as good.
   */
  async lock(at, name, { goAsked, stop }) {
    if (goAsked.aborted) return "go holds it";
    const file2 = `${name.replace(/\.zip$/, "")}.lock`;
    const locked = await takeGoLock(at.entry(file2), LOCK_WAIT_MS, AbortSignal.any([goAsked, stop]));
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
  placeTree(job, tree, dirs, download2, name) {
    if (kindOf(download2.entry(`${name.replace(/\.zip$/, "")}.partial`)) !== void 0) return false;
    let parent;
    try {
      parent = openDir(this.options.root, tree.parent);
    } catch {
      return false;
    }
    const final = path18.posix.basename(treePath(job.module, job.version));
    try {
      try {
        renameSync2(parent.entry(tree.name), parent.entry(final));
      } catch {
        return false;
      }
      this.temporary.delete(key2(tree.parent, tree.name));
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
        accessSync2(at.path, constants6.W_OK);
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
      mkdirSync3(this.options.root, { recursive: true });
      this.rootMade = true;
    }
    for (let tries = 0; ; tries++) {
      try {
        return openDir(this.options.root, dir, true);
      } catch (e) {
        if (!(e instanceof NotADirectory) || tries > 8) throw e;
        const parent = openDir(this.options.root, path18.posix.dirname(e.rel));
        try {
          unlinkEntry(parent, path18.posix.basename(e.rel));
        } finally {
          parent.close();
        }
      }
    }
  }
  /** Writes `text` as the file `name`, replacing (never writing into) what is there. */
  writeNew(at, dir, name, text) {
    const temp = `${name}.${uniqueSuffix()}.partial`;
    this.track(dir, temp);
    try {
      writeReplacing(at, name, text, temp);
    } finally {
      this.temporary.delete(key2(dir, temp));
    }
  }
  track(dir, name) {
    this.temporary.add(key2(dir, name));
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
var key2 = (dir, name) => JSON.stringify([dir, name]);
var uniqueSuffix = () => `${RUN}-${(named++).toString(36)}`;
var RUN = randomBytes4(6).toString("hex");
var named = 0;

// src/fetch/verifying-proxy.ts
import path19 from "node:path";

// src/fetch/fetcher.ts
import { randomBytes as randomBytes5 } from "node:crypto";
import { rm as rm2 } from "node:fs/promises";

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
function isNetworkError(error2) {
  const isValid = error2 && isError(error2) && error2.name === "TypeError" && typeof error2.message === "string";
  if (!isValid) {
    return false;
  }
  const { message, stack } = error2;
  if (message === "Load failed" || message.startsWith("Load failed (") && message.endsWith(")")) {
    return stack === void 0 || "__sentry_captured__" in error2;
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
function unwrapAbortError(error2) {
  let cause = error2;
  while (cause instanceof AbortError && cause.originalError instanceof Error) {
    cause = cause.originalError;
  }
  return cause;
}
async function onAttemptFailure({ error: error2, attemptNumber, retriesConsumed, startTime: startTime2, options }) {
  const abortIfNeeded = () => {
    options.signal?.throwIfAborted();
  };
  const normalizedError = error2 instanceof Error ? error2 : new TypeError(`Non-error was thrown: "${stringifyThrownValue(error2)}". You should only throw errors.`);
  abortIfNeeded();
  if (normalizedError instanceof AbortError) {
    throw unwrapAbortError(normalizedError);
  }
  const retriesLeft = options.retries - retriesConsumed;
  const isRetriableError = !(normalizedError instanceof TypeError) || isNetworkError(normalizedError);
  const timeLeft = calculateRemainingTime(startTime2, options.maxRetryTime);
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
  const remainingTime = calculateRemainingTime(startTime2, options.maxRetryTime);
  if (!isRetriableError || remainingTime <= 0 || retriesLeft <= 0) {
    throw normalizedError;
  }
  const shouldRetry = await options.shouldRetry(context);
  abortIfNeeded();
  if (!shouldRetry) {
    throw normalizedError;
  }
  const remainingTimeAfterShouldRetry = calculateRemainingTime(startTime2, options.maxRetryTime);
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
  const startTime2 = performance.now();
  while (retriesConsumed <= options.retries) {
    attemptNumber++;
    try {
      options.signal?.throwIfAborted();
      const result = await input(attemptNumber);
      options.signal?.throwIfAborted();
      return result;
    } catch (error2) {
      if (await onAttemptFailure({
        error: error2,
        attemptNumber,
        retriesConsumed,
        startTime: startTime2,
        options
      })) {
        retriesConsumed++;
      }
    }
  }
  throw new Error("Retry attempts exhausted without throwing an error.");
}

// src/util/size.ts
var formatSize = (bytes) => {
  if (bytes === void 0) return "";
  return bytes <= 1023 << 10 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
};

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
  race(kind, ask2, ended, onBody) {
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
        ask2(candidate, asked.controller.signal, stallWindowMs(typicalMs, this.stallTimeoutMs), {
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
    let answered3 = false;
    stats.requests++;
    let pending;
    const oneOff = store === this.transient;
    const over = new AbortController();
    let counted2 = 0;
    let handedOn = false;
    try {
      pending = oneOff ? store.begin({ ...job, path: randomBytes5(8).toString("hex") }, false) : store.begin(job, job.kind === "zip");
      const { temp, tree } = pending;
      const answer2 = await this.options.client.download(requestUrl(candidate, job.path), temp, {
        signal: AbortSignal.any([own, ended, over.signal]),
        maxBytes: job.maxBytes,
        floor: { bytesPerSec: FLOOR_BYTES_PER_SEC, windowMs },
        onHeaders: () => {
          answered3 = true;
          events.onHeaders();
        },
        onData: (bytes) => {
          this.bytes += bytes;
          stats.bytes += bytes;
          events.onData(bytes);
          if (!oneOff) return;
          counted2 += bytes;
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
        this.oneOffBytes -= counted2;
        void rm2(kept2.file, { force: true });
      };
      return { kind: "file", file: kept2.file, size: answer2.size, open: kept2.open, release: release2 };
    } catch (e) {
      if (over.signal.aborted) return { kind: "failed", why: String(over.signal.reason) };
      if (own.aborted ? !answered3 : !ended.aborted) {
        if (e.kind === "silent") this.races.streak(candidate, job.kind);
        else stats.failures++;
      }
      return { kind: "failed", why: e.message };
    } finally {
      if (oneOff && !handedOn) this.oneOffBytes -= counted2;
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
import { closeSync as closeSync6, createReadStream, fstatSync as fstatSync4 } from "node:fs";
import http from "node:http";

// src/module/sumdb-request.ts
var LOOKUP = /^lookup\/([^@]+)@(v[0-9]+\.[0-9]+\.[0-9]+(?:-[^@]*)?(?:\+incompatible)?)$/;
var TILE = /^tile\/([1-9][0-9]?)\/(data|0|[1-9][0-9]*)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]*))?$/;
function parseSumdbPath(path34) {
  let decoded;
  try {
    const elements = path34.split("/").map((e) => decodeURIComponent(e));
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
    const { size } = fstatSync4(fd);
    if (size !== outcome.size) throw new Error(`its size changed from ${outcome.size} to ${size} bytes`);
  } catch (e) {
    if (fd !== void 0) closeSync6(fd);
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
      closeSync6(fd);
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
function fail(response, status, text) {
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  response.end(`${shortened(oneLine(text), GO_SHOWS_BYTES)}
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
  let local;
  try {
    local = await startLocalProxy(fetcher, options.known, { secret: options.secret, sumdb: () => sumdb, ...options.listen ? { listen: options.listen } : {} });
  } catch (e) {
    await fetcher.close();
    throw e;
  }
  return {
    url: local.url,
    local,
    fetcher,
    relaySumdb: (name) => {
      sumdb = { name, fetcher: fetcherIn(path19.join(options.dir, "sumdb"), options, { candidates: [], candidatesComing: true }) };
      return sumdb.fetcher;
    },
    bytes: () => fetcher.bytes + (sumdb?.fetcher.bytes ?? 0),
    close: async () => {
      await Promise.all([local.close(), fetcher.close(), sumdb?.fetcher.close()]);
    }
  };
}
function fetcherIn(dir, options, own) {
  return new Fetcher({
    client: options.client,
    candidates: own.candidates,
    store: own.store ?? new Store({ root: path19.join(dir, "store"), downloads: "" }),
    transientDir: path19.join(dir, "transient"),
    rounds: options.rounds,
    backoffMs: options.backoffMs,
    stallTimeoutMs: options.stallTimeoutMs,
    ...options.fileTimeoutMs ? { fileTimeoutMs: options.fileTimeoutMs } : {},
    ...own.hashThreads ? { hashThreads: own.hashThreads } : {},
    ...own.candidatesComing ? { candidatesComing: true } : {}
  });
}

// src/fetch/stage.ts
async function startFetch(options) {
  const started = performance.now();
  const scratch = mkdtempSync3(path20.join(process.env.RUNNER_TEMP || os10.tmpdir(), "go-mod-fetch-"));
  const downloadCache = new Store({
    root: options.modcache,
    downloads: "cache/download",
    // go extracts in place on Windows, where a scanner holding a new file open makes renaming a fresh directory fail.
    ...process.platform !== "win32" ? { extract: { writable: options.writableTrees } } : {}
  });
  const known = knownFiles(options.sumLines, options.isPrivate);
  const secret = randomBytes6(18).toString("base64url");
  port.secret(secret);
  const proxy = await startVerifyingProxy({
    client: options.client,
    candidates: options.candidates,
    known,
    secret,
    dir: scratch,
    ...downloadCache.writable() ? { store: downloadCache } : {},
    // go extracts none of the zips written out for it: the core it would have used hashes and writes them instead.
    hashThreads: Math.min(2, os10.availableParallelism()),
    rounds: options.rounds,
    backoffMs: options.backoffMs,
    stallTimeoutMs: options.stallTimeoutMs
  });
  const { fetcher, local } = proxy;
  const speculative = speculate(fetcher, known, downloadCache, options);
  const stage2 = {
    url: local.url,
    probed: (candidates, database) => {
      fetcher.useCandidates(candidates);
      if (!database) return;
      const relay = proxy.relaySumdb(database.route.name);
      const chain = candidates.map((c) => c.candidate);
      database.follow(() => {
        const { routes, final } = database.relay(chain);
        relay.useCandidates(routes, final);
      });
      stage2.gosumdb = `${database.route.key} ${local.url}/sumdb/${database.route.name}`;
    },
    progress: proxy.bytes,
    abandon: () => {
      fetcher.abandon();
    },
    finish: async () => {
      speculative.stop();
      await Promise.all([speculative.done, proxy.close()]);
      await rm3(scratch, { recursive: true, force: true });
      traceSpan("fetch stage (started to finished)", started);
      const candidates = fetcher.current.map((candidate) => {
        const stats = fetcher.stats.get(candidate);
        const moved = movedBecause(stats);
        return { candidate, stats, ...moved ? { moved } : {} };
      });
      const { planned, plannedZips, peakLimit, unresolved, stopped } = speculative.figures;
      return {
        planned,
        plannedZips,
        sumLines: options.sumLines.length,
        files: fetcher.files,
        zips: fetcher.zips,
        extracted: fetcher.extracted,
        bytes: fetcher.bytes,
        durationMs: performance.now() - started,
        retries: fetcher.retries,
        hedges: fetcher.hedges,
        rejected: fetcher.rejected,
        requests: local.requests,
        served: local.served,
        peakLimit,
        unresolved,
        candidates,
        troubled: candidates.filter((c) => isTroubled(c.stats)).map((c) => c.candidate),
        ...stopped ? { stopped } : {}
      };
    }
  };
  return stage2;
}

// src/go/private.ts
function moduleRouting(env) {
  const reason = env.GONOPROXY === env.GOPRIVATE ? "GOPRIVATE" : "GONOPROXY";
  return {
    direct: (module) => matchPrefixPatterns(env.GONOPROXY, module) ? reason : void 0,
    unchecked: (module) => matchPrefixPatterns(env.GONOSUMDB, module)
  };
}
function coverage(modules, routing) {
  const known = modules.length > 0;
  const reasons = modules.map((m) => routing.direct(m));
  return {
    noProxy: known && reasons.every((r) => r !== void 0),
    noSumdb: known && modules.every((m) => routing.unchecked(m)),
    reasons: [...new Set(reasons.filter((r) => r !== void 0))]
  };
}
function matchPrefixPatterns(globs, target) {
  for (const entry of globs.split(",")) {
    const glob = entry.endsWith("/") ? entry.slice(0, -1) : entry;
    if (glob === "") continue;
    const elements = glob.split("/").length;
    const parts = target.split("/");
    if (parts.length < elements) continue;
    if (pathMatch(glob, parts.slice(0, elements).join("/"))) return true;
  }
  return false;
}
var BadPattern = class extends Error {
};
function pathMatch(pattern, name) {
  try {
    return match(pattern, name);
  } catch (e) {
    if (e instanceof BadPattern) return false;
    throw e;
  }
}
function match(pattern, name) {
  let rest = pattern;
  outer: while (rest.length > 0) {
    const { star: star3, chunk, after } = scanChunk(rest);
    rest = after;
    if (star3 && chunk === "") return !name.includes("/");
    const here = matchChunk(chunk, name);
    if (here !== void 0 && (here.length === 0 || rest.length > 0)) {
      name = here;
      continue;
    }
    if (star3) {
      for (let i = 0; i < name.length && name[i] !== "/"; i++) {
        const skipped = matchChunk(chunk, name.slice(i + 1));
        if (skipped === void 0 || rest.length === 0 && skipped.length > 0) continue;
        name = skipped;
        continue outer;
      }
    }
    while (rest.length > 0) {
      const next = scanChunk(rest);
      rest = next.after;
      matchChunk(next.chunk, "");
    }
    return false;
  }
  return name.length === 0;
}
function scanChunk(pattern) {
  let i = 0;
  while (pattern[i] === "*") i++;
  const star3 = i > 0;
  const body = pattern.slice(i);
  let inRange = false;
  for (let j = 0; j < body.length; j++) {
    const c = body[j];
    if (c === "\\" && j + 1 < body.length) j++;
    else if (c === "[") inRange = true;
    else if (c === "]") inRange = false;
    else if (c === "*" && !inRange) return { star: star3, chunk: body.slice(0, j), after: body.slice(j) };
  }
  return { star: star3, chunk: body, after: "" };
}
function matchChunk(chunk, s) {
  let failed = false;
  while (chunk.length > 0) {
    failed ||= s.length === 0;
    const c = chunk[0];
    if (c === "[") {
      let r = -1;
      if (!failed) {
        r = s.codePointAt(0);
        s = s.slice(String.fromCodePoint(r).length);
      }
      chunk = chunk.slice(1);
      const negated = chunk[0] === "^";
      if (negated) chunk = chunk.slice(1);
      let matched = false;
      for (let ranges = 0; ; ranges++) {
        if (chunk[0] === "]" && ranges > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const lo = escaped2(chunk);
        let hi = lo;
        chunk = lo.rest;
        if (chunk[0] === "-") {
          hi = escaped2(chunk.slice(1));
          chunk = hi.rest;
        }
        matched ||= lo.rune <= r && r <= hi.rune;
      }
      failed ||= matched === negated;
    } else if (c === "?") {
      if (!failed) {
        failed = s[0] === "/";
        s = s.slice(String.fromCodePoint(s.codePointAt(0)).length);
      }
      chunk = chunk.slice(1);
    } else {
      if (c === "\\") {
        chunk = chunk.slice(1);
        if (chunk.length === 0) throw new BadPattern();
      }
      if (!failed) {
        failed = chunk[0] !== s[0];
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
    }
  }
  return failed ? void 0 : s;
}
function escaped2(chunk) {
  if (chunk.length === 0 || chunk[0] === "-" || chunk[0] === "]") throw new BadPattern();
  if (chunk[0] === "\\") {
    chunk = chunk.slice(1);
    if (chunk.length === 0) throw new BadPattern();
  }
  const rune = chunk.codePointAt(0);
  const rest = chunk.slice(String.fromCodePoint(rune).length);
  if (rest.length === 0) throw new BadPattern();
  return { rune, rest };
}

// src/probe/file-proxy.ts
import { statSync as statSync3 } from "node:fs";
function judgeFileProxy(dir, request) {
  const found = statSync3(dir, { throwIfNoEntry: false });
  if (!found?.isDirectory()) return `no directory at ${dir}: go finds nothing there and moves on to the next entry`;
  let body;
  try {
    body = readHeld(dir, found.dev, request.path.split("/").filter(Boolean).join("/"));
  } catch (e) {
    return `a directory whose ${request.describe} is not read here: ${readableError(e)}`;
  }
  if (body === void 0) {
    const problem2 = request.judge(404, "text/plain", Buffer.alloc(0));
    return problem2 === void 0 ? `a directory in GOPROXY layout, read by go itself` : `a directory without ${request.describe}: go moves on to the next entry for what it lacks`;
  }
  const problem = request.judge(200, "", body);
  return problem === void 0 ? `a directory in GOPROXY layout with ${request.describe} as go.sum has it, read by go itself` : `a directory with ${problem}`;
}
function readHeld(dir, device, rel) {
  try {
    return readBelow(dir, rel, MAX_BYTES.mod, device);
  } catch (e) {
    if (e.code === "ENOENT") return void 0;
    throw e;
  }
}

// src/probe/probe.ts
var MAX_BODY2 = 4 << 20;
function modRequest(target) {
  const what = `${target.module}@${target.version} .mod`;
  return {
    path: `/${downloadPath(target.module, target.version, "mod")}`,
    describe: what,
    judge: (status, contentType, body) => {
      if (status !== 200) return `HTTP ${status} for ${what}`;
      if (goModHash(body) === target.hash) return void 0;
      if (/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(body.toString("utf8", 0, 200))) {
        return `200 with an HTML page instead of ${what}`;
      }
      return `wrong bytes for ${what}: hash differs from go.sum`;
    }
  };
}
function protocolRequest(module = "golang.org/toolchain") {
  const what = `${module} version list`;
  return {
    path: `/${listPath(module)}`,
    describe: what,
    judge: (status, contentType, body) => {
      const html2 = /html/i.test(contentType);
      if (isAbsent(status) && !html2) return void 0;
      if (status !== 200) return `HTTP ${status} for ${what}`;
      const lines = body.toString("utf8").split("\n").filter((l) => l.trim() !== "");
      if (!html2 && lines.every((l) => /^v\d+\.\d+\.\d+\S*$/.test(l.trim()))) return void 0;
      return `answer to ${what} is not a version list${html2 ? " (an HTML page)" : ""}`;
    }
  };
}
async function probeAll(client, candidates, request, timeoutMs, onHealthy) {
  const cutoff = new Cutoff(timeoutMs);
  try {
    return await Promise.all(
      candidates.map(async (candidate) => {
        if (candidate.keyword) return { candidate, verdict: "not probed", reason: candidate.dir ? judgeFileProxy(candidate.dir, request) : `${candidate.spec} is used as given` };
        const result = await probeCandidate(client, candidate, request, timeoutMs, cutoff.signal);
        if (result.verdict === "healthy" && result.latencyMs !== void 0) {
          cutoff.answered(result.latencyMs, candidate.display);
          onHealthy?.(result);
        }
        return result;
      })
    );
  } finally {
    cutoff.clear();
  }
}
async function probeCandidate(client, candidate, request, timeoutMs, cutoff) {
  const url = requestUrl(candidate, request.path);
  const via = route(client, url);
  const started = performance.now();
  try {
    const answer2 = await client.get(url, { signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), cutoff]), maxBytes: MAX_BODY2, floor: { bytesPerSec: FLOOR_BYTES_PER_SEC, windowMs: timeoutMs } });
    const latencyMs = performance.now() - started;
    const problem = request.judge(answer2.status, answer2.contentType, answer2.body);
    return problem ? { candidate, verdict: "unhealthy", latencyMs, reason: problem, failure: "http", ...via } : { candidate, verdict: "healthy", latencyMs, reason: `served ${request.describe}`, ...via };
  } catch (e) {
    if (cutoff.aborted) return { candidate, verdict: "slow", reason: String(cutoff.reason), failure: "silent", ...via };
    const error2 = classifyError(e);
    const reason = error2.kind === "silent" ? `no complete answer within ${formatDuration(timeoutMs)}` : error2.message;
    return { candidate, verdict: "unhealthy", reason, failure: error2.kind, ...via };
  }
}
function route(client, url) {
  try {
    const proxy = client.route(url);
    return proxy ? { via: `${proxy.from} ${redactUrl(proxy.url.href).replace(/\/$/, "")}` } : {};
  } catch {
    return {};
  }
}

// src/probe/ranking.ts
function rankHealthy(results, selection) {
  const healthy = results.filter((r) => r.verdict === "healthy");
  const ranked = selection === "fastest" ? [...healthy].sort((a, b) => (a.latencyMs ?? 0) - (b.latencyMs ?? 0)) : healthy;
  return ranked.map((r) => r.candidate);
}
function fallbackOrder(results) {
  const urls = results.filter((r) => !r.candidate.keyword);
  return [...urls.filter((r) => answered(r.failure)), ...urls.filter((r) => !answered(r.failure))].map((r) => r.candidate);
}

// src/probe/stage.ts
async function runProbe(options) {
  const { client, candidates, timeoutMs } = options;
  const target = probeTarget(options.sumLines, options.isPrivate);
  const sumdbRoute = parseGosumdb(options.gosumdb);
  const sumdb = sumdbRoute ? new SumdbRoutes(client, candidates, sumdbRoute, timeoutMs) : void 0;
  void sumdb?.done.then((found) => port.echo(describeSumdb(found, false)));
  const report = await port.group("Probe the proxies", async () => {
    const probes = await probeAll(client, candidates, target ? modRequest(target) : protocolRequest(), timeoutMs, options.onFirstHealthy);
    for (const p of probes) {
      const via = p.via ? `, through ${p.via}` : "";
      port.echo(`${p.candidate.display}: ${p.verdict}${p.latencyMs === void 0 ? "" : ` in ${formatDuration(p.latencyMs)}`} (${p.reason}${via})`);
    }
    return { probes, ...sumdb ? { sumdb } : {} };
  });
  const ranked = rankHealthy(report.probes, options.selection);
  if (ranked.length > 0 || !candidates.some((c) => !c.keyword)) return { ...report, chain: assembleChain(candidates, ranked) };
  const note = "No candidate passed its probe; trying them all, those that answered before those that did not, since a probe can be wrong.";
  port.warning(note);
  return { ...report, chain: assembleChain(candidates, fallbackOrder(report.probes)), note };
}

// src/util/plural.ts
var counted = (n, word, plural = `${word}s`) => `${n} ${n === 1 ? word : plural}`;

// src/download/failure.ts
function describeFailure(probes, attempts) {
  const lines = [`go mod download failed after ${counted(attempts.length, "attempt")}.`];
  for (const probe of probes) {
    const tried = endings(attempts.filter((a) => a.first === probe.candidate.display));
    lines.push(`- ${probe.candidate.display}: ${probe.verdict}, ${probe.reason}${tried.length ? `; ${tried.join("; ")}` : ""}`);
  }
  const last = attempts.at(-1);
  if (last) lines.push(`Last error: ${last.reason}${last.detail ? `: ${last.detail}` : ""}`);
  return lines.join("\n");
}
function endings(own) {
  const byWords = /* @__PURE__ */ new Map();
  for (const a of own) {
    const words = `${a.reason}${a.detail ? ` (${a.detail})` : ""}`;
    byWords.set(words, [...byWords.get(words) ?? [], a.number]);
  }
  return [...byWords].map(([words, numbers]) => `${numbers.length === 1 ? "attempt" : "attempts"} ${listed(numbers)}: ${words}`);
}
var listed = (numbers) => numbers.length === 1 ? String(numbers[0]) : `${numbers.slice(0, -1).join(", ")} and ${numbers.at(-1)}`;

// src/toolchain/provide.ts
import { existsSync as existsSync6, promises as fs8 } from "node:fs";
import os11 from "node:os";
import path21 from "node:path";

// src/download/retry.ts
var AttemptFailed = class extends Error {
  record;
  next;
  constructor(classification, record, next) {
    super(`${classification.reason}: ${classification.detail}`);
    this.name = "AttemptFailed";
    this.record = record;
    this.next = next;
  }
};
var GaveUp = class extends Error {
  constructor(classification) {
    super(`${classification.reason}: ${classification.detail}`);
    this.name = "GaveUp";
  }
};
function nextChain(chain, classification) {
  if (classification.next === "rotate") return rotateChain(chain, 1);
  if (classification.next === "drop-first") {
    const rest = chain.slice(1);
    return rest.length > 0 ? rest : void 0;
  }
  return void 0;
}
async function downloadWithRetries(initial, runOne, options) {
  const attempts = [];
  const wentFirst = /* @__PURE__ */ new Set();
  let chain = initial;
  let tried = initial;
  let failedRequests = [];
  try {
    await pRetry(
      async (number) => {
        tried = chain;
        wentFirst.add(chain[0]?.spec ?? "");
        const outcome = await runOne(chain).catch((e) => {
          throw new AbortError(e);
        });
        const { classification } = outcome;
        const record = {
          number,
          first: chain[0]?.display ?? "",
          reason: classification.reason,
          detail: classification.detail,
          durationMs: outcome.durationMs,
          zips: outcome.zips
        };
        attempts.push(record);
        if (classification.next === "done") {
          failedRequests = outcome.failedRequests;
          options.onAttemptEnd?.(record, void 0);
          return;
        }
        const next = nextChain(chain, classification);
        if (next) throw new AttemptFailed(classification, record, next);
        options.onAttemptEnd?.(record, void 0);
        throw new AbortError(new GaveUp(classification));
      },
      {
        retries: options.retries,
        ...backoff(options.backoffMs),
        // A candidate that has not gone first yet gets its turn at once, and it costs no retry.
        shouldConsumeRetry: ({ error: error2 }) => wentFirst.has(error2.next[0]?.spec ?? ""),
        onFailedAttempt: ({ error: error2, retriesLeft }) => {
          const failed = error2;
          options.onAttemptEnd?.(failed.record, retriesLeft > 0 ? failed.next[0]?.display : void 0);
          chain = failed.next;
        }
      }
    );
    return { ok: true, attempts, ...demote(tried, candidatesOf(tried, failedRequests)) };
  } catch (e) {
    if (!(e instanceof AttemptFailed || e instanceof GaveUp)) throw e;
    return { ok: false, attempts, chain: tried, demoted: [] };
  }
}

// src/toolchain/provide.ts
var TOOL = "go";
var LINKS_DIR = "go-mod-download-toolchains";
function toolchainModule(name, hostOS, hostArch) {
  return { path: "golang.org/toolchain", version: `v0.0.1-${name}.${hostOS}-${hostArch}` };
}
function toolCacheVersion(version) {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(version);
  if (!m) return version;
  const release2 = `${m[1]}.${m[2]}.${m[3] ?? 0}`;
  return m[4] ? `${release2}-${m[4]}.${m[5]}` : release2;
}
async function toolchainFromToolCache(choice, installed) {
  const started = performance.now();
  const goroot = inToolCache(toolCacheVersion(choice.version));
  if (!goroot) return void 0;
  await putOnPath(choice.name, goroot);
  return { wanted: choice.name, installed, source: "tool cache", durationMs: performance.now() - started, goroot };
}
async function fetchToolchain(f) {
  const started = performance.now();
  const module = toolchainModule(f.choice.name, f.hostOS, f.hostArch);
  const result = await downloadWithRetries(f.chain, (chain) => f.run(chain, [`${module.path}@${module.version}`]), f.retry);
  if (!result.ok) return { result };
  const extracted = path21.join(f.modcache, `${module.path}@${module.version}`);
  return { report: await installFetched(f.choice, f.installed, extracted, performance.now() - started), result };
}
async function installFetched(choice, installed, extracted, fetchMs) {
  const started = performance.now();
  const goroot = await adopt(extracted, toolCacheVersion(choice.version));
  await allowExec(goroot);
  await putOnPath(choice.name, goroot);
  return { wanted: choice.name, installed, source: "fetched", durationMs: fetchMs + performance.now() - started, goroot };
}
async function adopt(extracted, version) {
  const toolCache = process.env.RUNNER_TOOL_CACHE;
  if (!toolCache) return extracted;
  const dest = path21.join(toolCache, TOOL, version, os11.arch());
  await fs8.rm(`${dest}.complete`, { force: true });
  await fs8.rm(dest, { recursive: true, force: true });
  await fs8.mkdir(path21.dirname(dest), { recursive: true });
  try {
    await fs8.rename(extracted, dest);
  } catch (e) {
    if (e.code !== "EXDEV") throw e;
    await fs8.cp(extracted, dest, { recursive: true, verbatimSymlinks: true });
  }
  await fs8.writeFile(`${dest}.complete`, "");
  return dest;
}
function inToolCache(version) {
  const toolCache = process.env.RUNNER_TOOL_CACHE;
  if (!toolCache) return void 0;
  const dir = path21.join(toolCache, TOOL, version, os11.arch());
  return existsSync6(`${dir}.complete`) && existsSync6(dir) ? dir : void 0;
}
async function allowExec(goroot) {
  const toolDirs = await fs8.readdir(path21.join(goroot, "pkg", "tool")).catch(() => []);
  for (const dir of [path21.join(goroot, "bin"), ...toolDirs.map((d) => path21.join(goroot, "pkg", "tool", d))]) {
    for (const entry of await fs8.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isFile()) await fs8.chmod(path21.join(dir, entry.name), 493);
    }
  }
}
var toolchainLinks = () => path21.join(process.env.RUNNER_TEMP || os11.tmpdir(), LINKS_DIR);
async function putOnPath(name, goroot) {
  const dir = toolchainLinks();
  await fs8.mkdir(dir, { recursive: true });
  const exe = process.platform === "win32" ? ".exe" : "";
  const link = path21.join(dir, `${name}${exe}`);
  await fs8.rm(link, { force: true });
  await fs8.symlink(path21.join(goroot, "bin", `go${exe}`), link);
  process.env.PATH = `${dir}${path21.delimiter}${process.env.PATH ?? ""}`;
}

// src/toolchain/stage.ts
async function toolchainOnRunner(choice, installed) {
  const report = await toolchainFromToolCache(choice, installed);
  if (report) port.info(describeToolchain(report));
  return report;
}
async function toolchainThroughChain(o) {
  const { report, result } = await fetchToolchain(o);
  const attempts = result.attempts.map((a) => ({ ...a, zips: 0, detail: `toolchain ${o.choice.name}${a.detail ? `: ${a.detail}` : ""}` }));
  if (report) port.info(describeToolchain(report));
  return { ...report ? { report } : {}, attempts };
}
function describeToolchain(t) {
  return `Toolchain ${t.wanted} (installed: ${t.installed}): ${t.source === "tool cache" ? "from the runner\u2019s tool cache" : "fetched through the chain and put in the tool cache"} in ${formatDuration(t.durationMs)}; go finds it on PATH as ${t.wanted}.`;
}

// src/download/direct.ts
import { existsSync as existsSync7, statSync as statSync4 } from "node:fs";
import path22 from "node:path";
var key3 = (line) => `${line.module}@${line.version}`;
function zipsPresent(modcache, lines) {
  return new Set(lines.filter((l) => !l.goMod && existsSync7(path22.join(modcache, "cache", "download", downloadPath(l.module, l.version, "zip")))).map(key3));
}
var zipRequests = (urls, line) => {
  const zip = `/${wirePath(downloadPath(line.module, line.version, "zip"))}`;
  return urls.some((url) => url.endsWith(zip));
};
var appeared = (o, line) => !line.goMod && !o.before.has(key3(line)) && o.after.has(key3(line));
function fileEntriesOf(chain) {
  const devices = /* @__PURE__ */ new Map();
  for (const entry of chain) {
    if (entry.dir === void 0) continue;
    try {
      devices.set(entry, statSync4(entry.dir).dev);
    } catch {
    }
  }
  return devices;
}
function fileEntryFor(o, files, line) {
  if (files.size === 0) return void 0;
  if (o.routing.direct(line.module) || zipRequests(o.requests.answered, line)) return void 0;
  if (o.fetched && !zipRequests(o.requests.unanswered, line)) return void 0;
  const rel = downloadPath(line.module, line.version, "zip");
  const cached = lstatOf(path22.join(o.modcache, "cache", "download", rel));
  for (const c of o.chain) {
    if (c.spec === "direct" || c.spec === "off") return void 0;
    const device = files.get(c);
    if (device === void 0) continue;
    const held = heldIn(c.dir, device, rel);
    if (held && !(cached && held.dev === cached.dev && held.ino === cached.ino)) return c;
  }
  return void 0;
}
function heldIn(dir, device, rel) {
  try {
    const at = openDirIfThere(dir, path22.posix.dirname(rel), device);
    if (!at) return void 0;
    try {
      const entry = lstatOf(at.entry(path22.posix.basename(rel)));
      return entry?.isFile() || entry?.isSymbolicLink() ? entry : void 0;
    } finally {
      at.close();
    }
  } catch {
    return void 0;
  }
}
function newZipSources(o) {
  const files = fileEntriesOf(o.chain);
  const direct = [];
  const fromFiles = /* @__PURE__ */ new Map();
  for (const line of o.lines) {
    if (!appeared(o, line)) continue;
    const reason = o.routing.direct(line.module);
    if (reason) {
      direct.push({ module: line.module, version: line.version, why: reason });
      continue;
    }
    const entry = fileEntryFor(o, files, line);
    if (entry) fromFiles.set(entry, (fromFiles.get(entry) ?? 0) + 1);
    else if (zipRequests(o.requests.unanswered, line) && !zipRequests(o.requests.answered, line)) direct.push({ module: line.module, version: line.version, why: "direct" });
  }
  return { direct, fromFiles };
}

// src/download/scope.ts
function askScope(project, sumLines, toolchain, routing) {
  return coverage(project ? [...namedModules(project, sumLines), ...toolchain ? ["golang.org/toolchain"] : []] : [], routing);
}
function namedModules(project, sumLines) {
  const replacements = [...project.workReplace, ...project.mains.flatMap((m) => m.mod.replace)].flatMap((r) => isLocalPath(r.to.path) ? [] : [r.to.path]);
  return [.../* @__PURE__ */ new Set([...sumLines.map((l) => l.module), ...project.mains.flatMap((m) => m.mod.require.map((r) => r.path)), ...replacements])];
}
function unprobed(candidates, scope, gosumdb) {
  const settings = scope.reasons.join(" and ");
  const probes = candidates.map((candidate) => ({
    candidate,
    verdict: "not probed",
    reason: candidate.keyword ? `${candidate.spec} is used as given` : `not needed: ${settings} covers every module`
  }));
  const database = parseGosumdb(gosumdb);
  const sumdb = !database ? "" : scope.noSumdb ? ` Nor was the checksum database ${database.name}: GONOSUMDB covers them too.` : ` go asks the checksum database ${database.name} itself for any module go.sum lacks.`;
  const note = `No proxy was probed: ${settings} covers every module go.sum and go.mod name, so go fetches them all direct and asks no proxy.${sumdb} The candidates are passed on to later steps as given.`;
  port.info(note);
  return { probes, chain: candidates, note };
}
function sumdbUnasked(scope, gosumdb) {
  const database = parseGosumdb(gosumdb);
  if (!database || !scope.noSumdb) return void 0;
  return `The checksum database ${database.name} was not probed: GONOSUMDB covers every module, so go asks it nothing.`;
}

// src/download/served.ts
function whoServed(o) {
  const served = [...candidatesOf(o.chain, o.answered), ...o.fetch?.candidates.filter((c) => c.stats.served > 0).map((c) => c.candidate) ?? [], ...o.files ?? []];
  const unproven = o.probes.filter((p) => (p.verdict === "unhealthy" || p.verdict === "slow") && !served.includes(p.candidate)).map((p) => p.candidate);
  const chain = leaveOut(o.chain, unproven);
  const chosen = chain.find((c) => served.includes(c))?.display ?? (o.direct.length > 0 ? "direct" : void 0);
  return { chain, ...chosen ? { chosen } : {}, leftOut: o.chain.filter((c) => !chain.includes(c)) };
}

// src/download/stage.ts
async function runDownload(options) {
  const { fetch } = options;
  const goproxyFor = (c) => fetch ? `${fetch.url}|${goproxyValue(c)}` : goproxyValue(c);
  let fetchReport;
  let result;
  let error2;
  try {
    const ready = options.prepare ? await options.prepare() : true;
    if (ready) result = await downloadWithRetries(
      options.chain,
      (c) => port.group(`go mod download (GOPROXY=${fetch ? "the local proxy|" : ""}${goproxyDisplay(c)})`, async () => {
        const outcome = await options.attempt(goproxyFor(c), fetch);
        if (outcome.endedBy !== "exit") fetch?.abandon();
        return outcome;
      }),
      {
        retries: options.retries,
        backoffMs: options.backoffMs,
        onAttemptEnd: (record, next) => {
          const how = `Attempt ${record.number} (${record.first} first): ${record.reason} after ${formatDuration(record.durationMs)}`;
          if (record.reason === "ok") port.info(how);
          else port.warning(`${how}${record.detail ? ` \u2014 ${record.detail}` : ""}${next ? `; next, ${next} first` : ""}`);
        }
      }
    );
  } catch (e) {
    error2 = e;
  } finally {
    if (fetch) {
      fetchReport = await fetch.finish();
      port.info(describeFetch(fetchReport));
    }
  }
  const withFetch = fetchReport ? { fetch: fetchReport } : {};
  if (!result) return { ok: false, ran: false, attempts: [], chain: options.chain, ...withFetch, ...error2 ? { error: error2 } : {} };
  for (const candidate of result.demoted) {
    port.warning(`${candidate.display} answered some requests with errors; go got those modules from the next proxy, and it goes last in the exported GOPROXY.`);
  }
  const reordered = demote(result.chain, fetchReport?.troubled ?? []);
  for (const moved of fetchReport?.candidates.filter((c) => c.moved && reordered.demoted.includes(c.candidate)) ?? []) {
    port.warning(`${moved.candidate.display} ${moved.moved}: it goes behind the others in the exported GOPROXY.`);
  }
  return { ok: result.ok, ran: true, attempts: result.attempts, chain: reordered.chain, ...withFetch };
}
function describeFetch(f) {
  const stopped = f.stopped ? ` (the speculative fetch stopped: ${f.stopped})` : "";
  return `Fetched ${f.files} of ${counted(f.planned, "planned file")} (${counted(f.plannedZips, "zip")}, ${f.extracted} of them extracted for go; go.sum has ${counted(f.sumLines, "line")}), ${formatSize(f.bytes)} in ${formatDuration(f.durationMs)}; go asked the local proxy ${counted(f.requests, "time")}; ${counted(f.retries, "retry", "retries")}, ${counted(f.hedges, "hedge")}, ${f.rejected} rejected${stopped}`;
}

// src/download/probe-and-download.ts
var BACKOFF_MS = 1e3;
var FETCH_ROUNDS = 3;
var FETCH_BACKOFF_MS = 250;
async function probeAndDownload(o) {
  const { env, settings } = o;
  const routing = moduleRouting(env);
  const isPrivate = (module) => routing.direct(module) !== void 0;
  const project = readProject(settings.workingDirectory, env.GOWORK);
  const scope = askScope(await project.catch(() => void 0), o.sumLines, o.fetchToolchain !== void 0, routing);
  const before = zipsPresent(env.GOMODCACHE, o.sumLines);
  let early;
  const startEarly = (first) => {
    if (early) return;
    early = startFetchStage(o, project, [{ candidate: first.candidate, latencyMs: first.latencyMs ?? 0 }], isPrivate);
    early.catch(() => void 0);
  };
  const probe = scope.noProxy ? unprobed(o.candidates, scope, env.GOSUMDB) : await runProbe({
    client: o.client,
    candidates: o.candidates,
    sumLines: o.sumLines,
    isPrivate,
    // go asks the checksum database nothing of modules GONOSUMDB covers.
    gosumdb: scope.noSumdb ? "off" : env.GOSUMDB,
    timeoutMs: settings.probeTimeoutMs,
    selection: settings.selection,
    ...o.prefetch && settings.prefetch ? { onFirstHealthy: startEarly } : {}
  });
  const note = [probe.note, scope.noProxy ? void 0 : sumdbUnasked(scope, env.GOSUMDB)].filter((n) => n !== void 0).join(" ");
  const probed = { probes: probe.probes, ...note ? { probeNote: note } : {} };
  const { chain } = probe;
  const sumdbFound = async () => probe.sumdb ? { sumdb: await probe.sumdb.done } : {};
  let fetch;
  try {
    fetch = early ? await early : void 0;
  } catch (e) {
    return { ok: false, ...probed, ...await sumdbFound(), attempts: [], direct: [], chain, error: e };
  }
  const healthy = probe.probes.filter((p) => p.verdict === "healthy");
  fetch?.probed(
    chain.flatMap((c) => healthy.filter((p) => p.candidate === c).map((p) => ({ candidate: c, latencyMs: p.latencyMs ?? 0 }))),
    probe.sumdb
  );
  let toolchain;
  const choice = o.fetchToolchain;
  const provideToolchain = async () => {
    if (!choice) return true;
    toolchain = await toolchainThroughChain({
      choice,
      installed: env.GOVERSION,
      hostOS: env.GOHOSTOS,
      hostArch: env.GOHOSTARCH,
      modcache: env.GOMODCACHE,
      chain,
      run: (c, modules) => port.group(`Fetch toolchain ${choice.name} (GOPROXY=${goproxyDisplay(c)})`, () => o.run(goproxyValue(c), void 0, modules)),
      retry: { retries: settings.retries, backoffMs: BACKOFF_MS }
    });
    return toolchain.report !== void 0;
  };
  const downloaded = await runDownload({
    chain,
    ...fetch ? { fetch } : {},
    attempt: o.run,
    retries: settings.retries,
    backoffMs: BACKOFF_MS,
    ...choice ? { prepare: provideToolchain } : {}
  });
  const { direct, fromFiles: reads } = newZipSources({
    lines: o.sumLines,
    before,
    after: zipsPresent(env.GOMODCACHE, o.sumLines),
    requests: o.requests,
    routing,
    chain: downloaded.ran ? downloaded.chain : chain,
    fetched: downloaded.fetch !== void 0,
    modcache: env.GOMODCACHE
  });
  const fromFiles = [...reads.values()].reduce((n, zips) => n + zips, 0);
  const attempts = [...toolchain?.attempts ?? [], ...downloaded.attempts.map((a) => scope.noProxy ? { ...a, first: "direct" } : a)];
  const report = {
    ...probed,
    ...await sumdbFound(),
    ...downloaded.fetch ? { fetch: downloaded.fetch } : {},
    ...toolchain?.report ? { toolchain: toolchain.report } : {},
    attempts,
    direct,
    ...fromFiles > 0 ? { fromFiles } : {},
    chain: downloaded.ran ? downloaded.chain : chain
  };
  if (downloaded.error) return { ...report, ok: false, error: downloaded.error };
  if (choice && !toolchain?.report) {
    return { ...report, ok: false, failure: `go switches to toolchain ${choice.name} for this module (go.mod asks for it; the installed go is ${env.GOVERSION}), and it could not be fetched: ${describeFailure(probe.probes, attempts)}` };
  }
  if (!downloaded.ok) return { ...report, ok: false, failure: describeFailure(probe.probes, attempts) };
  const served = whoServed({ chain: report.chain, probes: probe.probes, answered: o.requests.answered, ...downloaded.fetch ? { fetch: downloaded.fetch } : {}, direct, files: [...reads.keys()] });
  for (const c of served.leftOut) port.info(`${c.display} failed its probe and served nothing; it is left out of the exported GOPROXY.`);
  return { ...report, ok: true, chain: served.chain, ...served.chosen ? { chosen: served.chosen } : {} };
}
async function startFetchStage(o, project, candidates, isPrivate) {
  return startFetch({
    client: o.client,
    candidates,
    sumLines: o.sumLines,
    isPrivate,
    project: await project,
    modcache: o.env.GOMODCACHE,
    writableTrees: extractsWritable(o.env.GOFLAGS),
    concurrency: o.settings.concurrency,
    rounds: FETCH_ROUNDS,
    backoffMs: FETCH_BACKOFF_MS,
    stallTimeoutMs: o.settings.stallTimeoutMs
  });
}

// src/net/client.ts
import { closeSync as closeSync8, openSync as openSync5, writeSync as writeSync4 } from "node:fs";
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
var debug2 = (0, import_debug.default)("http-proxy-agent");
var HttpProxyAgent = class extends Agent2 {
  constructor(proxy, opts) {
    super(opts);
    this.proxy = typeof proxy === "string" ? new URL2(proxy) : proxy;
    this.proxyHeaders = opts?.headers ?? {};
    debug2("Creating new HttpProxyAgent instance: %o", this.proxy.href);
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
    debug2("Regenerating stored HTTP header string for request");
    req._implicitHeader();
    if (req.outputData && req.outputData.length > 0) {
      debug2("Patching connection write() output buffer with updated header");
      first = req.outputData[0].data;
      endOfHeaders = first.indexOf("\r\n\r\n") + 4;
      req.outputData[0].data = req._header + first.substring(endOfHeaders);
      debug2("Output buffer: %o", req.outputData[0].data);
    }
    let socket;
    if (this.proxy.protocol === "https:") {
      debug2("Creating `tls.Socket`: %o", this.connectOpts);
      socket = tls.connect(this.connectOpts);
    } else {
      debug2("Creating `net.Socket`: %o", this.connectOpts);
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
  let key4;
  for (key4 in obj) {
    if (!keys.includes(key4)) {
      ret[key4] = obj[key4];
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
var debug3 = (0, import_debug2.default)("https-proxy-agent:parse-proxy-response");
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
      debug3("onend");
      reject(new Error("Proxy connection ended before receiving CONNECT response"));
    }
    function onerror(err) {
      cleanup();
      debug3("onerror %o", err);
      reject(err);
    }
    function ondata(b) {
      buffers.push(b);
      buffersLength += b.length;
      const buffered = Buffer.concat(buffers, buffersLength);
      const endOfHeaders = buffered.indexOf("\r\n\r\n");
      if (endOfHeaders === -1) {
        debug3("have not received end of HTTP headers yet...");
        read();
        return;
      }
      const headerParts = buffered.slice(0, endOfHeaders).toString("ascii").split("\r\n");
      const firstLine2 = headerParts.shift();
      if (!firstLine2) {
        socket.destroy();
        return reject(new Error("No header received from proxy CONNECT response"));
      }
      const firstLineParts = firstLine2.split(" ");
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
        const key4 = header.slice(0, firstColon).toLowerCase();
        const value = header.slice(firstColon + 1).trimStart();
        const current2 = headers[key4];
        if (typeof current2 === "string") {
          headers[key4] = [current2, value];
        } else if (Array.isArray(current2)) {
          current2.push(value);
        } else {
          headers[key4] = value;
        }
      }
      debug3("got proxy server response: %o %o", firstLine2, headers);
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
var debug4 = (0, import_debug3.default)("https-proxy-agent");
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
    debug4("Creating new HttpsProxyAgent instance: %o", this.proxy.href);
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
      debug4("Creating `tls.Socket`: %o", this.connectOpts);
      socket = tls2.connect(setServernameFromNonIpHost(this.connectOpts));
    } else {
      debug4("Creating `net.Socket`: %o", this.connectOpts);
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
        debug4("Upgrading socket connection to TLS");
        return tls2.connect({
          ...omit2(setServernameFromNonIpHost(opts), "host", "path", "port"),
          socket
        });
      }
      return socket;
    }
    if (connect5.statusCode === 407 && this.onProxyAuth) {
      debug4("Got 407 response, invoking onProxyAuth callback");
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
      debug4("Replaying proxy buffer for failed request");
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
        debug4("Upgrading socket connection to TLS");
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
  let key4;
  for (key4 in obj) {
    if (!keys.includes(key4)) {
      ret[key4] = obj[key4];
    }
  }
  return ret;
}

// src/net/lookups.ts
import dns from "node:dns";
var LOOKUP_REUSE_MS = 3e4;
function sharedLookup(resolve = dns.lookup, now = () => performance.now()) {
  const kept2 = /* @__PURE__ */ new Map();
  const addressesOf = (hostname, family, hints) => {
    const key4 = `${hostname}|${family}|${hints}`;
    const hit = kept2.get(key4);
    if (hit && hit.until > now()) return hit.addresses;
    const addresses = new Promise(
      (ok, fail2) => resolve(hostname, { all: true, family, hints }, (err, found) => err ? fail2(err) : ok(found))
    );
    const entry = { addresses, until: Infinity };
    kept2.set(key4, entry);
    addresses.then(
      () => {
        entry.until = now() + LOOKUP_REUSE_MS;
      },
      () => {
        if (kept2.get(key4) === entry) kept2.delete(key4);
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
import { closeSync as closeSync7, constants as constants7, fstatSync as fstatSync5, openSync as openSync4, readFileSync as readFileSync3, statSync as statSync5 } from "node:fs";
import os12 from "node:os";
function readSettingsFile(file2, encoding = "utf8") {
  const fd = openSync4(file2, constants7.O_RDONLY | (constants7.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync5(fd);
    if (isNullDevice(stats)) return "";
    if (!stats.isFile()) throw new Error("not a regular file");
    return readFileSync3(fd, encoding);
  } finally {
    closeSync7(fd);
  }
}
function isNullDevice(stats) {
  if (!stats.isCharacterDevice()) return false;
  try {
    const nul = statSync5(os12.devNull);
    return nul.isCharacterDevice() && nul.rdev === stats.rdev;
  } catch {
    return false;
  }
}

// src/net/netrc.ts
import path23 from "node:path";
function parseNetrc(text) {
  const entries = [];
  let entry = { machine: "", login: "", password: "" };
  let inMacro = false;
  for (const line of text.split("\n")) {
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
function netrcPath(env, platform2 = process.platform) {
  if (env.NETRC) return env.NETRC;
  const home = platform2 === "win32" ? env.USERPROFILE : env.HOME;
  if (!home) return void 0;
  return path23.join(home, platform2 === "win32" ? "_netrc" : ".netrc");
}

// src/net/goauth.ts
function splitQuoted(text) {
  const words = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      const end = text.indexOf(quote, i + 1);
      if (end < 0) throw new Error(`unterminated ${quote} string`);
      words.push(text.slice(i + 1, end));
      i = end + 1;
    } else {
      const start2 = i;
      while (i < text.length && !/\s/.test(text[i])) i++;
      words.push(text.slice(start2, i));
    }
  }
  return words;
}
function parseAuthOutput(text) {
  const credentials = /* @__PURE__ */ new Map();
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
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
async function loadGoAuth(goauth, env, platform2 = process.platform) {
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
  const run2 = async (url, status) => {
    for (const method of [...methods].reverse()) {
      const words = splitQuoted(method);
      if (words.length === 0) throw new Error(`GOAUTH has an empty command (GOAUTH=${goauth})`);
      if (words[0] === "off") return;
      if (words[0] === "netrc") {
        if (url) continue;
        const file2 = netrcPath(env, platform2);
        const text = file2 === void 0 ? "" : readOptional(file2);
        for (const entry of parseNetrc(text).reverse()) store(trimPrefix(entry.machine), { Authorization: [basicAuthorization(entry.login, entry.password)] });
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
  await run2();
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
      await run2(url, status);
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
import { readdirSync as readdirSync5, readlinkSync as readlinkSync3, lstatSync as lstatSync3 } from "node:fs";
import path24 from "node:path";
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
function certificatesIn(text) {
  return (text.match(PEM) ?? []).filter(parsesAsCertificate);
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
    names = readdirSync5(dir);
  } catch {
    return [];
  }
  return names.map((name) => path24.join(dir, name)).filter((file2) => {
    try {
      return !(lstatSync3(file2).isSymbolicLink() && !readlinkSync3(file2).includes("/"));
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
    const text = readText(file2);
    if (text === void 0) continue;
    certificates.push(...certificatesIn(text));
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
function loadTrust(env, platform2 = process.platform) {
  const trust = platform2 === "darwin" || platform2 === "win32" ? osTrust() : unixTrust(env);
  const extra = env.NODE_EXTRA_CA_CERTS;
  const extraCerts = extra ? certificatesIn(readText(extra) ?? "") : [];
  if (extraCerts.length > 0) trust.sources.push(`NODE_EXTRA_CA_CERTS=${extra}`);
  return { certificates: [...new Set([...trust.certificates, ...extraCerts].map((c) => c.trim()))], sources: trust.sources };
}

// src/net/client.ts
async function loadNetworkView(env, goauth, trust = loadTrust(env)) {
  return { trust, proxies: proxyRules(env), auth: await loadGoAuth(goauth || "netrc", env) };
}
function networkSecrets(view) {
  const proxies = [view.proxies.http, view.proxies.https].flatMap((p) => p ? secretsIn(p.url.href) : []);
  return [...proxies, ...view.auth.secrets()];
}
var MAX_REDIRECTS = 10;
var HttpClient2 = class {
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
      const fd = openSync5(file2, "wx");
      try {
        for await (const chunk of response) {
          size += chunk.length;
          if (size > options.maxBytes) {
            response.destroy();
            throw new NetError("http", `answer larger than ${options.maxBytes} bytes`);
          }
          onData(chunk.length);
          for (let at = 0; at < chunk.length; ) at += writeSync4(fd, chunk, at);
        }
      } finally {
        closeSync8(fd);
      }
      return { status, contentType, size };
    });
  }
  async request(url, given, consume) {
    const floor = watchFloor(given.floor);
    const options = {
      ...given,
      signal: AbortSignal.any([given.signal, floor.signal]),
      onData: (bytes) => {
        floor.add(bytes);
        given.onData?.(bytes);
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
    const key4 = `${url.protocol}|${proxy?.url.href ?? "direct"}`;
    let agent = this.agents.get(key4);
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
    this.agents.set(key4, agent);
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

// src/toolchain/select.ts
import path25 from "node:path";
function toolchainVersion(name) {
  return /^go(\d+\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)(?:$|[-+\s])/.exec(name.trim())?.[1];
}
function toolchainProblem(f) {
  const choice = chooseToolchain(f);
  if (choice.mode !== "" || !f.goLine || compareGoVersions(f.goLine, choice.version) <= 0) return void 0;
  const fix = `Install go ${f.goLine} or later before this step (actions/setup-go with go-version-file: go.mod).`;
  const setting = f.gotoolchain.trim();
  return setting === "local" ? `go.mod requires go >= ${f.goLine}, but the installed go is ${choice.version} and GOTOOLCHAIN=local forbids go to switch. ${fix}` : `go.mod requires go >= ${f.goLine}, but GOTOOLCHAIN=${setting} makes go run ${choice.name} and forbids it to switch further. ${fix}`;
}
function chooseToolchain(f) {
  const local = `go${toolchainVersion(f.installed) ?? f.installed.trim()}`;
  const setting = f.gotoolchain.trim() || "auto";
  const [minimum, suffix] = setting === "auto" || setting === "path" ? ["local", setting] : setting.split("+", 2);
  const mode = suffix === "auto" || suffix === "path" ? suffix : "";
  let name = minimum === "local" || !minimum ? local : minimum;
  let version = toolchainVersion(name) ?? "";
  if (mode) {
    const wanted = f.toolchainLine && f.toolchainLine !== "default" ? toolchainVersion(f.toolchainLine) : void 0;
    if (wanted && compareGoVersions(wanted, version) > 0) [name, version] = [f.toolchainLine, wanted];
    if (f.goLine && compareGoVersions(f.goLine, version) > 0) {
      const release2 = /^\d+\.\d+$/.test(f.goLine) && compareGoVersions(f.goLine, "1.21") >= 0 ? `${f.goLine}.0` : f.goLine;
      [name, version] = [`go${release2}`, f.goLine];
    }
  }
  return { name, version: toolchainVersion(name) ?? version, switches: name !== local, mode };
}
function userToolchain(env, goenvFile, goroot) {
  if (env.GOTOOLCHAIN) return env.GOTOOLCHAIN;
  for (const file2 of [goenvFile, path25.join(goroot, "go.env")]) {
    const value = settingIn(file2, "GOTOOLCHAIN");
    if (value) return value;
  }
  return "auto";
}
function settingIn(file2, name) {
  let text;
  try {
    text = readSettingsFile(file2);
  } catch {
    return void 0;
  }
  for (const line of text.split("\n")) {
    const m = new RegExp(`^\\s*${name}=(.*)$`).exec(line);
    if (m) return m[1]?.trim();
  }
  return void 0;
}

// src/go/vendor.ts
import { existsSync as existsSync8 } from "node:fs";
import path26 from "node:path";
function buildsFromVendor(facts) {
  if (!facts.hasModulesTxt || facts.workspace) return false;
  const mod = goflagsFields(facts.goflags).map((f) => /^--?mod=(.*)$/.exec(f)?.[1]).filter((v) => v !== void 0).at(-1);
  if (mod !== void 0) return mod === "vendor";
  return compareGoVersions(facts.goLine, "1.14") >= 0;
}
var hasModulesTxt = (dir) => existsSync8(path26.join(dir, "vendor", "modules.txt"));
async function vendorConsistent(go, dir, env) {
  const { code: code2, stderr } = await output(go, ["list", "-m"], { cwd: dir, env: { ...env, GOPROXY: "off" } });
  return { ok: code2 === 0, why: stderr.trim() };
}

// src/engine/depfiles.ts
import { existsSync as existsSync9, promises as fs9 } from "node:fs";
import path27 from "node:path";
async function readDependencyFiles(workspace, workingDirectory, patterns, globFiles2) {
  const goWork = await fs9.readFile(path27.join(workingDirectory, "go.work"), "utf8").catch(() => void 0);
  const goMod = await fs9.readFile(path27.join(workingDirectory, "go.mod"), "utf8").catch(() => "");
  if (patterns.length > 0 && !globFiles2) throw new Error("cache-dependency-path is read by the Action alone");
  const found = patterns.length > 0 && globFiles2 ? await globFiles2(patterns.map((p) => p.startsWith("!") ? `!${path27.resolve(workspace, p.slice(1))}` : path27.resolve(workspace, p))) : defaultFiles(workingDirectory, goWork);
  const files = await Promise.all(
    [...new Set(found)].sort().map(async (f) => ({ path: path27.relative(workspace, f).split(path27.sep).join("/"), content: await fs9.readFile(f) }))
  );
  const sumLines = files.filter((f) => f.path.endsWith(".sum")).flatMap((f) => parseGoSum(f.content.toString("utf8")));
  const mod = parseGoMod(goMod);
  const lines = goWork === void 0 ? mod : parseGoWork(goWork);
  return {
    files,
    sumLines,
    goModText: goWork ?? goMod,
    goLine: lines.go,
    toolchainLine: lines.toolchain,
    missingGoSum: goWork === void 0 && mod.require.length > 0 && !existsSync9(path27.join(workingDirectory, "go.sum"))
  };
}
function defaultFiles(workingDirectory, goWork) {
  const uses = goWork === void 0 ? [] : parseGoWork(goWork).use.map((dir) => path27.join(dir, "go.sum"));
  return ["go.sum", "go.work.sum", ...uses].map((f) => path27.resolve(workingDirectory, f)).filter((f) => existsSync9(f));
}

// src/engine/setup.ts
async function setUp(options, secrets) {
  const register = (found) => {
    for (const secret of found) {
      if (secrets.includes(secret)) continue;
      port.secret(secret);
      secrets.push(secret);
    }
  };
  const registering = (read) => {
    try {
      return read();
    } catch (e) {
      if (e instanceof InputError) register(e.secrets);
      throw e;
    }
  };
  const settings = registering(() => parseSettings(options.read, options.workspace));
  const { go, env } = await traced("go env", async () => {
    const go2 = await findGo();
    return { go: go2, env: await readGoEnv(go2, settings.workingDirectory) };
  });
  const candidates = settings.candidates ?? registering(() => candidatesFrom("proxies (from go env GOPROXY)", env.GOPROXY));
  const network = await loadNetworkView(processEnv(), env.GOAUTH);
  const git = await gitSecrets(env.GOMODCACHE, processEnv());
  register([...candidates.flatMap((c) => secretsIn(c.spec)), ...networkSecrets(network), ...git]);
  for (const method of network.auth.unsupported) port.info(`GOAUTH method "${method.split(/\s/)[0]}" is go's alone; the action's own requests go without it.`);
  const deps = await readDependencyFiles(options.workspace, settings.workingDirectory, settings.cacheDependencyPath, options.globFiles);
  return { settings, go, env, candidates, network, deps };
}

// src/engine/run.ts
async function run(options) {
  const startedMs = performance.now();
  let facts = { ok: false, probes: [], restore: { state: "disabled" }, attempts: [] };
  const secrets = [];
  const handOn = { variables: {}, paths: [], postState: {} };
  let failedOn;
  let badSetting;
  let client;
  let later;
  try {
    const { settings, go, env, candidates, network, deps } = await setUp(options, secrets);
    const workspace = options.workspace;
    facts.trust = network.trust.sources;
    client = new HttpClient2(network, { maxSockets: settings.concurrency });
    const toolchainFacts = { goLine: deps.goLine, toolchainLine: deps.toolchainLine, installed: env.GOVERSION, gotoolchain: userToolchain(process.env, env.GOENV, env.GOROOT) };
    const problem = toolchainProblem(toolchainFacts);
    if (problem) {
      failedOn = "input";
      throw new Error(problem);
    }
    if (!path28.isAbsolute(env.GOMODCACHE) && !fromVendor(settings, deps, env)) throw new InputError(GOMODCACHE_INPUT, modcacheProblem(env.GOMODCACHE));
    const ctx = { go, env, settings, workspace, deps, candidates, client, toolchain: chooseToolchain(toolchainFacts) };
    const refused2 = ctx.toolchain.switches ? void 0 : await traced("GOFLAGS check", () => goflagsProblem(go, env.GOFLAGS, processEnv()));
    if (refused2) throw new InputError(GOFLAGS_INPUT, `go refuses them (${refused2}); fix GOFLAGS in the environment, or with go env -w GOFLAGS=\u2026`);
    const modfile = missingModfile(env.GOFLAGS, settings.workingDirectory);
    if (modfile) throw new InputError(GOFLAGS_INPUT, `${modfile}: go would fail every attempt on it`);
    later = settings.protectLaterSteps ? launchJobProxy() : void 0;
    const build = settings.buildCache ? await startBuildCache({ gocache: env.GOCACHE, keys: { os: env.GOOS, arch: env.GOARCH, goVersion: ctx.toolchain.name, files: deps.files }, timeoutMs: settings.cacheTimeoutMs }) : void 0;
    if (build) facts.buildCache = build.report;
    const downloaded = await download(ctx);
    facts = { ...facts, ...downloaded.facts };
    Object.assign(handOn.variables, downloaded.variables);
    if (facts.toolchain) handOn.paths.push(toolchainLinks());
    if (downloaded.error) throw downloaded.error;
    const handed = await exportChain({
      chain: downloaded.chain,
      later,
      downloadOk: facts.ok,
      probes: facts.probes,
      sumdb: facts.sumdb,
      sumLines: deps.sumLines,
      goauth: env.GOAUTH,
      idleMs: settings.laterStepsIdleMs,
      stallTimeoutMs: settings.stallTimeoutMs,
      timeoutMs: settings.timeoutMs
    });
    facts.exported = handed.exported;
    handOn.variables.GOPROXY = handed.goproxy;
    Object.assign(handOn.postState, handed.postState);
    if (handed.laterSteps) facts.laterSteps = handed.laterSteps;
    if (build?.state) {
      const hand = handBuildCacheOn(build.state, { saveCache: settings.saveCache, downloadOk: facts.ok, restore: build.report.state });
      facts.buildCacheSave = hand.why;
      Object.assign(handOn.postState, hand.postState);
    }
    if (!facts.ok) failedOn = "run";
  } catch (e) {
    facts.failure = e.message;
    failedOn ??= e instanceof InputError ? "input" : "run";
    if (e instanceof InputError) badSetting = { input: e.input, problem: e.problem };
  } finally {
    await later?.abandon();
    client?.close();
  }
  facts = { ...facts, durationMs: performance.now() - startedMs };
  return { facts, handOn, secrets, ...failedOn ? { failedOn } : {}, ...badSetting ? { badSetting } : {} };
}
async function download(ctx) {
  const { env, settings, deps } = ctx;
  let facts = {};
  let variables = {};
  try {
    const onRunner = ctx.toolchain.switches ? await traced("toolchain on the runner", () => toolchainOnRunner(ctx.toolchain, env.GOVERSION)) : void 0;
    if (onRunner) facts.toolchain = onRunner;
    const vendor = await vendored(ctx);
    if (vendor) return { chain: ctx.candidates, facts: { ...facts, ...vendor } };
    const withoutGoSum = deps.missingGoSum;
    if (withoutGoSum) {
      facts.probeNote = noGoSum(settings.cache);
      port.warning(facts.probeNote);
    }
    const keys = cacheKeys({ os: env.GOOS, arch: env.GOARCH, contents: settings.cacheContents, files: deps.files });
    facts.cacheKey = keys.key;
    const start2 = await startModuleCache({ modcache: env.GOMODCACHE, keys, restore: settings.cache && !withoutGoSum, timeoutMs: settings.cacheTimeoutMs, sumLines: deps.sumLines, contents: settings.cacheContents });
    const restore = start2.restore;
    facts.restore = restore;
    if (start2.verify) facts.verify = start2.verify;
    const runs = goRuns({
      go: ctx.go,
      workingDirectory: settings.workingDirectory,
      goflags: env.GOFLAGS,
      modcache: env.GOMODCACHE,
      timeoutMs: settings.timeoutMs,
      stallTimeoutMs: settings.stallTimeoutMs
    });
    const cached = hasDownloads(env.GOMODCACHE) ? await checkModuleCache(runs.run) : void 0;
    const online = cached ? void 0 : await probeAndDownload({
      client: ctx.client,
      candidates: ctx.candidates,
      env,
      settings,
      sumLines: deps.sumLines,
      prefetch: !withoutGoSum,
      run: runs.run,
      requests: runs.requests,
      ...ctx.toolchain.switches && !onRunner ? { fetchToolchain: ctx.toolchain } : {}
    });
    let chain = ctx.candidates;
    if (online) {
      const { chain: ranked, error: error2, ...found } = online;
      chain = ranked;
      facts = { ...facts, ...found };
      if (error2) throw error2;
    } else facts = { ...facts, ...cached };
    variables = runs.forLaterSteps();
    facts.save = await saveModuleCache({
      modcache: env.GOMODCACHE,
      key: keys.key,
      sumLines: deps.sumLines,
      contents: settings.cacheContents,
      timeoutMs: settings.cacheTimeoutMs,
      decision: saveDecision({ cacheEnabled: settings.cache, goSum: !withoutGoSum, saveCache: settings.saveCache, downloadOk: facts.ok ?? false, restore: restore.state, key: keys.key, ...restore.matchedKey ? { matchedKey: restore.matchedKey } : {} })
    });
    return { chain, facts, variables };
  } catch (e) {
    return { chain: ctx.candidates, facts, variables, error: e };
  }
}
var GOFLAGS_INPUT = "GOFLAGS (from go env GOFLAGS)";
var GOMODCACHE_INPUT = "GOMODCACHE (from go env GOMODCACHE)";
var modcacheProblem = (modcache) => modcache === "" ? "is not set, nor GOPATH, nor HOME: go has no module cache; set GOMODCACHE to an absolute path" : `${JSON.stringify(modcache)} is not an absolute path, which go requires of the module cache; set GOMODCACHE to one`;
function noGoSum(cache) {
  return cache ? "There is no go.sum: the action cannot check any module against it, so it neither restores nor saves the module cache and does not prefetch; go downloads through the probed chain and checks each module against the checksum database (GOSUMDB) itself. Commit go.sum (go mod tidy) to get verified caching and prefetch." : "There is no go.sum: no module can be checked against it, so nothing is fetched ahead of go; go downloads through the probed chain and checks each module against the checksum database (GOSUMDB) itself. Commit go.sum (go mod tidy) to get the verified prefetch.";
}
async function vendored(ctx) {
  const { env, settings, deps } = ctx;
  if (!fromVendor(settings, deps, env)) return void 0;
  const check = await vendorConsistent(ctx.go, settings.workingDirectory, processEnv());
  if (!check.ok) {
    port.warning(`vendor/modules.txt does not agree with go.mod, so builds will fail until \`go mod vendor\` is run; downloading the modules meanwhile. go said: ${check.why}`);
    return void 0;
  }
  const probeNote = "go builds this module from vendor/ (vendor/modules.txt agrees with go.mod): nothing to download, so no proxy was probed and the module cache was neither restored nor saved.";
  port.info(probeNote);
  return { ok: true, probeNote, save: { state: "skipped", why: "not saved: the module builds from vendor/" } };
}
var fromVendor = (settings, deps, env) => buildsFromVendor({ hasModulesTxt: hasModulesTxt(settings.workingDirectory), goLine: deps.goLine, goflags: env.GOFLAGS, workspace: env.GOWORK !== "" && env.GOWORK !== "off" });
async function checkModuleCache(attempt) {
  const offline = await port.group("Check the module cache (GOPROXY=off)", () => attempt("off"));
  if (offline.endedBy !== "exit" || offline.exit.code !== 0) {
    port.info("Some modules are not in the module cache yet; probing the proxies.");
    return void 0;
  }
  const probeNote = `Every module was already in the module cache (checked with GOPROXY=off in ${formatDuration(offline.durationMs)}); no proxy was probed.`;
  port.info(probeNote);
  return { ok: true, probeNote, attempts: [{ number: 1, first: "module cache", reason: "ok", detail: "all modules cached", durationMs: offline.durationMs, zips: 0 }] };
}

// node_modules/@actions/glob/lib/internal-globber.js
import * as fs10 from "fs";

// node_modules/@actions/glob/lib/internal-glob-options-helper.js
function getOptions(copy) {
  const result = {
    followSymbolicLinks: true,
    implicitDescendants: true,
    matchDirectories: true,
    omitBrokenSymbolicLinks: true,
    excludeHiddenFiles: false
  };
  if (copy) {
    if (typeof copy.followSymbolicLinks === "boolean") {
      result.followSymbolicLinks = copy.followSymbolicLinks;
      debug(`followSymbolicLinks '${result.followSymbolicLinks}'`);
    }
    if (typeof copy.implicitDescendants === "boolean") {
      result.implicitDescendants = copy.implicitDescendants;
      debug(`implicitDescendants '${result.implicitDescendants}'`);
    }
    if (typeof copy.matchDirectories === "boolean") {
      result.matchDirectories = copy.matchDirectories;
      debug(`matchDirectories '${result.matchDirectories}'`);
    }
    if (typeof copy.omitBrokenSymbolicLinks === "boolean") {
      result.omitBrokenSymbolicLinks = copy.omitBrokenSymbolicLinks;
      debug(`omitBrokenSymbolicLinks '${result.omitBrokenSymbolicLinks}'`);
    }
    if (typeof copy.excludeHiddenFiles === "boolean") {
      result.excludeHiddenFiles = copy.excludeHiddenFiles;
      debug(`excludeHiddenFiles '${result.excludeHiddenFiles}'`);
    }
  }
  return result;
}

// node_modules/@actions/glob/lib/internal-globber.js
import * as path33 from "path";

// node_modules/@actions/glob/lib/internal-path-helper.js
import * as path29 from "path";
import assert2 from "assert";
var IS_WINDOWS3 = process.platform === "win32";
function dirname2(p) {
  p = safeTrimTrailingSeparator(p);
  if (IS_WINDOWS3 && /^\\\\[^\\]+(\\[^\\]+)?$/.test(p)) {
    return p;
  }
  let result = path29.dirname(p);
  if (IS_WINDOWS3 && /^\\\\[^\\]+\\[^\\]+\\$/.test(result)) {
    result = safeTrimTrailingSeparator(result);
  }
  return result;
}
function ensureAbsoluteRoot(root, itemPath) {
  assert2(root, `ensureAbsoluteRoot parameter 'root' must not be empty`);
  assert2(itemPath, `ensureAbsoluteRoot parameter 'itemPath' must not be empty`);
  if (hasAbsoluteRoot(itemPath)) {
    return itemPath;
  }
  if (IS_WINDOWS3) {
    if (itemPath.match(/^[A-Z]:[^\\/]|^[A-Z]:$/i)) {
      let cwd = process.cwd();
      assert2(cwd.match(/^[A-Z]:\\/i), `Expected current directory to start with an absolute drive root. Actual '${cwd}'`);
      if (itemPath[0].toUpperCase() === cwd[0].toUpperCase()) {
        if (itemPath.length === 2) {
          return `${itemPath[0]}:\\${cwd.substr(3)}`;
        } else {
          if (!cwd.endsWith("\\")) {
            cwd += "\\";
          }
          return `${itemPath[0]}:\\${cwd.substr(3)}${itemPath.substr(2)}`;
        }
      } else {
        return `${itemPath[0]}:\\${itemPath.substr(2)}`;
      }
    } else if (normalizeSeparators(itemPath).match(/^\\$|^\\[^\\]/)) {
      const cwd = process.cwd();
      assert2(cwd.match(/^[A-Z]:\\/i), `Expected current directory to start with an absolute drive root. Actual '${cwd}'`);
      return `${cwd[0]}:\\${itemPath.substr(1)}`;
    }
  }
  assert2(hasAbsoluteRoot(root), `ensureAbsoluteRoot parameter 'root' must have an absolute root`);
  if (root.endsWith("/") || IS_WINDOWS3 && root.endsWith("\\")) {
  } else {
    root += path29.sep;
  }
  return root + itemPath;
}
function hasAbsoluteRoot(itemPath) {
  assert2(itemPath, `hasAbsoluteRoot parameter 'itemPath' must not be empty`);
  itemPath = normalizeSeparators(itemPath);
  if (IS_WINDOWS3) {
    return itemPath.startsWith("\\\\") || /^[A-Z]:\\/i.test(itemPath);
  }
  return itemPath.startsWith("/");
}
function hasRoot(itemPath) {
  assert2(itemPath, `isRooted parameter 'itemPath' must not be empty`);
  itemPath = normalizeSeparators(itemPath);
  if (IS_WINDOWS3) {
    return itemPath.startsWith("\\") || /^[A-Z]:/i.test(itemPath);
  }
  return itemPath.startsWith("/");
}
function normalizeSeparators(p) {
  p = p || "";
  if (IS_WINDOWS3) {
    p = p.replace(/\//g, "\\");
    const isUnc = /^\\\\+[^\\]/.test(p);
    return (isUnc ? "\\" : "") + p.replace(/\\\\+/g, "\\");
  }
  return p.replace(/\/\/+/g, "/");
}
function safeTrimTrailingSeparator(p) {
  if (!p) {
    return "";
  }
  p = normalizeSeparators(p);
  if (!p.endsWith(path29.sep)) {
    return p;
  }
  if (p === path29.sep) {
    return p;
  }
  if (IS_WINDOWS3 && /^[A-Z]:\\$/i.test(p)) {
    return p;
  }
  return p.substr(0, p.length - 1);
}

// node_modules/@actions/glob/lib/internal-match-kind.js
var MatchKind;
(function(MatchKind2) {
  MatchKind2[MatchKind2["None"] = 0] = "None";
  MatchKind2[MatchKind2["Directory"] = 1] = "Directory";
  MatchKind2[MatchKind2["File"] = 2] = "File";
  MatchKind2[MatchKind2["All"] = 3] = "All";
})(MatchKind || (MatchKind = {}));

// node_modules/@actions/glob/lib/internal-pattern-helper.js
var IS_WINDOWS4 = process.platform === "win32";
function getSearchPaths(patterns) {
  patterns = patterns.filter((x) => !x.negate);
  const searchPathMap = {};
  for (const pattern of patterns) {
    const key4 = IS_WINDOWS4 ? pattern.searchPath.toUpperCase() : pattern.searchPath;
    searchPathMap[key4] = "candidate";
  }
  const result = [];
  for (const pattern of patterns) {
    const key4 = IS_WINDOWS4 ? pattern.searchPath.toUpperCase() : pattern.searchPath;
    if (searchPathMap[key4] === "included") {
      continue;
    }
    let foundAncestor = false;
    let tempKey = key4;
    let parent = dirname2(tempKey);
    while (parent !== tempKey) {
      if (searchPathMap[parent]) {
        foundAncestor = true;
        break;
      }
      tempKey = parent;
      parent = dirname2(tempKey);
    }
    if (!foundAncestor) {
      result.push(pattern.searchPath);
      searchPathMap[key4] = "included";
    }
  }
  return result;
}
function match2(patterns, itemPath) {
  let result = MatchKind.None;
  for (const pattern of patterns) {
    if (pattern.negate) {
      result &= ~pattern.match(itemPath);
    } else {
      result |= pattern.match(itemPath);
    }
  }
  return result;
}
function partialMatch(patterns, itemPath) {
  return patterns.some((x) => !x.negate && x.partialMatch(itemPath));
}

// node_modules/@actions/glob/lib/internal-pattern.js
import * as os13 from "os";
import * as path32 from "path";
import assert4 from "assert";

// node_modules/balanced-match/dist/esm/index.js
var range = (a, b, str) => {
  let begs, beg, left, right = void 0, result;
  let ai = str.indexOf(a);
  let bi = str.indexOf(b, ai + 1);
  let i = ai;
  if (ai >= 0 && bi > 0) {
    if (a === b) {
      return [ai, bi];
    }
    begs = [];
    left = str.length;
    while (i >= 0 && !result) {
      if (i === ai) {
        begs.push(i);
        ai = str.indexOf(a, i + 1);
      } else if (begs.length === 1) {
        const r = begs.pop();
        if (r !== void 0)
          result = [r, bi];
      } else {
        beg = begs.pop();
        if (beg !== void 0 && beg < left) {
          left = beg;
          right = bi;
        }
        bi = str.indexOf(b, i + 1);
      }
      i = ai < bi && ai >= 0 ? ai : bi;
    }
    if (begs.length && right !== void 0) {
      result = [left, right];
    }
  }
  return result;
};

// node_modules/brace-expansion/dist/esm/index.js
var escSlash = "\0SLASH" + Math.random().toFixed(16) + "\0";
var escOpen = "\0OPEN" + Math.random().toFixed(16) + "\0";
var escClose = "\0CLOSE" + Math.random().toFixed(16) + "\0";
var escComma = "\0COMMA" + Math.random().toFixed(16) + "\0";
var escPeriod = "\0PERIOD" + Math.random().toFixed(16) + "\0";
var escSlashPattern = new RegExp(escSlash, "g");
var escOpenPattern = new RegExp(escOpen, "g");
var escClosePattern = new RegExp(escClose, "g");
var escCommaPattern = new RegExp(escComma, "g");
var escPeriodPattern = new RegExp(escPeriod, "g");
var slashPattern = /\\\\/g;
var openPattern = /\\{/g;
var closePattern = /\\}/g;
var commaPattern = /\\,/g;
var periodPattern = /\\\./g;
var EXPANSION_MAX = 1e5;
var EXPANSION_MAX_LENGTH = 4e6;
var EXPANSION_MAX_DEPTH = 1e3;
var EXPANSION_MAX_REWRITES = 1e3;
var EXPANSION_MAX_STEPS = 2e7;
var CALL_STEPS = 16;
function numeric(str) {
  return !isNaN(str) ? parseInt(str, 10) : str.charCodeAt(0);
}
function escapeBraces(str) {
  return str.replace(slashPattern, escSlash).replace(openPattern, escOpen).replace(closePattern, escClose).replace(commaPattern, escComma).replace(periodPattern, escPeriod);
}
function unescapeBraces(str) {
  return str.replace(escSlashPattern, "\\").replace(escOpenPattern, "{").replace(escClosePattern, "}").replace(escCommaPattern, ",").replace(escPeriodPattern, ".");
}
function pushAll(target, items) {
  for (let i = 0; i < items.length; i++) {
    target.push(items[i]);
  }
}
function balancedWithBudget(str, masked, budget) {
  if (budget.remaining < 0) {
    return void 0;
  }
  const r = range("{", "}", masked);
  const unmatched = r !== void 0 && masked.indexOf("{") < r[0];
  budget.remaining -= r && !unmatched ? r[1] + 1 : str.length;
  if (!r || budget.remaining < 0) {
    return void 0;
  }
  return {
    end: r[1],
    pre: str.slice(0, r[0]),
    body: str.slice(r[0] + 1, r[1]),
    post: str.slice(r[1] + 1),
    unmatched
  };
}
function maskUnmatchedOpens(masked, budget) {
  budget.remaining -= masked.length;
  const open2 = [];
  for (let i = 0; i < masked.length; i++) {
    const c = masked.charCodeAt(i);
    if (c === 123) {
      open2.push(i);
    } else if (c === 125 && open2.length) {
      open2.pop();
    }
  }
  let out = "";
  let last = 0;
  for (let i = 0; i < open2.length; i++) {
    const at = open2[i];
    out += masked.slice(last, at) + "\0";
    last = at + 1;
  }
  return out + masked.slice(last);
}
function commaSetFollows(str, budget) {
  budget.remaining -= str.length;
  if (budget.remaining < 0) {
    return false;
  }
  let close = false;
  for (let i = str.length - 1; i >= 0; i--) {
    const c = str.charCodeAt(i);
    if (c === 125) {
      close = true;
    } else if (c === 10 || c === 13 || c === 8232 || c === 8233) {
      close = false;
    } else if (c === 44 && close && str.charCodeAt(i + 1) !== 44) {
      return true;
    }
  }
  return false;
}
function parseCommaParts(str, budget) {
  const parts = [];
  let carry = "";
  for (; ; ) {
    const m = balancedWithBudget(str, str, budget);
    if (budget.remaining < 0) {
      return void 0;
    }
    if (!m) {
      const tail = str.split(",");
      tail[0] = carry + tail[0];
      pushAll(parts, tail);
      return parts;
    }
    const { pre, body, post } = m;
    const p = pre.split(",");
    p[0] = carry + p[0];
    p[p.length - 1] += "{" + body + "}";
    if (!post.length) {
      pushAll(parts, p);
      return parts;
    }
    carry = p.pop();
    pushAll(parts, p);
    str = post;
  }
}
function bound(value, fallback2) {
  return value === void 0 || isNaN(value) ? fallback2 : value;
}
function expand(str, options = {}) {
  if (!str) {
    return [];
  }
  const max = bound(options.max, EXPANSION_MAX);
  const maxLength = bound(options.maxLength, EXPANSION_MAX_LENGTH);
  const maxDepth = bound(options.maxDepth, EXPANSION_MAX_DEPTH);
  const maxRewrites = bound(options.maxRewrites, EXPANSION_MAX_REWRITES);
  const maxSteps = bound(options.maxSteps, EXPANSION_MAX_STEPS);
  if (str.slice(0, 2) === "{}") {
    str = "\\{\\}" + str.slice(2);
  }
  return expand_(escapeBraces(str), max, maxLength, maxDepth, 0, maxRewrites, { remaining: maxSteps }, true).map(unescapeBraces);
}
function embrace(str) {
  return "{" + str + "}";
}
function isPadded(el) {
  return /^-?0\d/.test(el);
}
function lte(i, y) {
  return i <= y;
}
function gte(i, y) {
  return i >= y;
}
function combine(acc, pre, values, max, maxLength, dropEmpties, budget) {
  const out = [];
  let length = 0;
  let nonEmpty;
  outer: for (let a = 0; a < acc.length; a++) {
    const prefix = acc[a] + pre;
    let vs = values;
    if (dropEmpties && !prefix) {
      if (!nonEmpty)
        nonEmpty = values.filter((v) => v);
      vs = nonEmpty;
    }
    for (let v = 0; v < vs.length; v++) {
      if (out.length >= max)
        break outer;
      const expansion = prefix + vs[v];
      if (length + expansion.length > maxLength)
        break outer;
      out.push(expansion);
      length += expansion.length;
    }
  }
  budget.remaining -= out.length;
  return out;
}
function expandSequence(body, isAlphaSequence, max, maxLength, budget) {
  const n = body.split(/\.\./);
  const N = [];
  if (n[0] === void 0 || n[1] === void 0) {
    return N;
  }
  const x = numeric(n[0]);
  const y = numeric(n[1]);
  const width = Math.max(n[0].length, n[1].length);
  let incr = n.length === 3 && n[2] !== void 0 ? Math.max(Math.abs(numeric(n[2])), 1) : 1;
  let test = lte;
  const reverse = y < x;
  if (reverse) {
    incr *= -1;
    test = gte;
  }
  const pad = n.some(isPadded);
  const cost = pad ? width : 1;
  let length = 0;
  for (let i = x; test(i, y) && N.length < max; i += incr) {
    budget.remaining -= cost;
    if (budget.remaining < 0) {
      return void 0;
    }
    let c;
    if (isAlphaSequence) {
      c = String.fromCharCode(i);
      if (c === "\\") {
        c = "";
      }
    } else {
      c = String(i);
      if (pad) {
        const need = width - c.length;
        if (need > 0) {
          const z = new Array(need + 1).join("0");
          if (i < 0) {
            c = "-" + z + c.slice(1);
          } else {
            c = z + c;
          }
        }
      }
    }
    if (length + c.length > maxLength)
      break;
    N.push(c);
    length += c.length;
  }
  return N;
}
function expand_(str, max, maxLength, maxDepth, depth, maxRewrites, budget, isTop) {
  budget.remaining -= CALL_STEPS;
  if (depth > maxDepth) {
    return [str];
  }
  let acc = [""];
  let rewrites = 0;
  let dropEmpties = false;
  let firstGroup = true;
  let masked = str;
  for (; ; ) {
    const m = balancedWithBudget(str, masked, budget);
    if (!m) {
      return combine(acc, str, [""], max, maxLength, dropEmpties, budget);
    }
    if (m.unmatched) {
      masked = maskUnmatchedOpens(masked, budget);
    }
    const pre = m.pre;
    const literal = () => combine(acc, pre + "{" + m.body + "}" + m.post, [""], max, maxLength, dropEmpties, budget);
    if (/\$$/.test(pre)) {
      acc = combine(acc, pre + "{" + m.body + "}", [""], max, maxLength, dropEmpties && !m.post.length, budget);
      firstGroup = false;
      if (!m.post.length)
        break;
      str = m.post;
      masked = masked.slice(m.end + 1);
      continue;
    }
    const isNumericSequence = /^-?\d+\.\.-?\d+(?:\.\.-?\d+)?$/.test(m.body);
    const isAlphaSequence = /^[a-zA-Z]\.\.[a-zA-Z](?:\.\.-?\d+)?$/.test(m.body);
    const isSequence = isNumericSequence || isAlphaSequence;
    const isOptions = m.body.indexOf(",") >= 0;
    if (!isSequence && !isOptions) {
      if (rewrites < maxRewrites && commaSetFollows(m.post, budget)) {
        rewrites++;
        str = m.pre + "{" + m.body + escClose + m.post;
        masked = masked.slice(0, m.end) + escClose + masked.slice(m.end + 1);
        isTop = true;
        continue;
      }
      return literal();
    }
    if (firstGroup) {
      dropEmpties = isTop && !isSequence;
      firstGroup = false;
    }
    let values;
    if (isSequence) {
      values = expandSequence(m.body, isAlphaSequence, max, maxLength, budget);
      if (!values) {
        return literal();
      }
    } else {
      let n = parseCommaParts(m.body, budget);
      if (!n) {
        return literal();
      }
      if (n.length === 1 && n[0] !== void 0) {
        n = expand_(n[0], max, maxLength, maxDepth, depth + 1, maxRewrites, budget, false).map(embrace);
        if (budget.remaining < 0) {
          return literal();
        }
        if (n.length === 1) {
          const next2 = combine(acc, pre + n[0], [""], max, maxLength, dropEmpties && !m.post.length, budget);
          if (budget.remaining < 0) {
            return literal();
          }
          acc = next2;
          if (!m.post.length)
            break;
          str = m.post;
          masked = masked.slice(m.end + 1);
          continue;
        }
      }
      let dropsEmpties = dropEmpties && !m.post.length && !pre;
      for (let d = 0; dropsEmpties && d < acc.length; d++) {
        if (acc[d]) {
          dropsEmpties = false;
        }
      }
      values = [];
      let valuesLength = 0;
      outer: for (let j = 0; j < n.length; j++) {
        const expanded = expand_(n[j], max, maxLength, maxDepth, depth + 1, maxRewrites, budget, false);
        if (budget.remaining < 0) {
          return literal();
        }
        for (let k = 0; k < expanded.length; k++) {
          const v = expanded[k];
          if (dropsEmpties && !v)
            continue;
          if (values.length >= max || valuesLength + v.length > maxLength) {
            break outer;
          }
          values.push(v);
          valuesLength += v.length;
        }
      }
    }
    const next = combine(acc, pre, values, max, maxLength, dropEmpties && !m.post.length, budget);
    if (budget.remaining < 0) {
      return literal();
    }
    acc = next;
    if (!m.post.length)
      break;
    str = m.post;
    masked = masked.slice(m.end + 1);
  }
  return acc;
}

// node_modules/minimatch/dist/esm/assert-valid-pattern.js
var MAX_PATTERN_LENGTH = 1024 * 64;
var assertValidPattern = (pattern) => {
  if (typeof pattern !== "string") {
    throw new TypeError("invalid pattern");
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new TypeError("pattern is too long");
  }
};

// node_modules/minimatch/dist/esm/brace-expressions.js
var posixClasses = {
  "[:alnum:]": ["\\p{L}\\p{Nl}\\p{Nd}", true],
  "[:alpha:]": ["\\p{L}\\p{Nl}", true],
  "[:ascii:]": ["\\x00-\\x7f", false],
  "[:blank:]": ["\\p{Zs}\\t", true],
  "[:cntrl:]": ["\\p{Cc}", true],
  "[:digit:]": ["\\p{Nd}", true],
  "[:graph:]": ["\\p{Z}\\p{C}", true, true],
  "[:lower:]": ["\\p{Ll}", true],
  "[:print:]": ["\\p{C}", true],
  "[:punct:]": ["\\p{P}", true],
  "[:space:]": ["\\p{Z}\\t\\r\\n\\v\\f", true],
  "[:upper:]": ["\\p{Lu}", true],
  "[:word:]": ["\\p{L}\\p{Nl}\\p{Nd}\\p{Pc}", true],
  "[:xdigit:]": ["A-Fa-f0-9", false]
};
var braceEscape = (s) => s.replace(/[[\]\\-]/g, "\\$&");
var regexpEscape = (s) => s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, "\\$&");
var rangesToString = (ranges) => ranges.join("");
var parseClass = (glob, position) => {
  const pos = position;
  if (glob.charAt(pos) !== "[") {
    throw new Error("not in a brace expression");
  }
  const ranges = [];
  const negs = [];
  let i = pos + 1;
  let sawStart = false;
  let uflag = false;
  let escaping = false;
  let negate = false;
  let endPos = pos;
  let rangeStart = "";
  WHILE: while (i < glob.length) {
    const c = glob.charAt(i);
    if ((c === "!" || c === "^") && i === pos + 1) {
      negate = true;
      i++;
      continue;
    }
    if (c === "]" && sawStart && !escaping) {
      endPos = i + 1;
      break;
    }
    sawStart = true;
    if (c === "\\") {
      if (!escaping) {
        escaping = true;
        i++;
        continue;
      }
    }
    if (c === "[" && !escaping) {
      for (const [cls, [unip, u, neg]] of Object.entries(posixClasses)) {
        if (glob.startsWith(cls, i)) {
          if (rangeStart) {
            return ["$.", false, glob.length - pos, true];
          }
          i += cls.length;
          if (neg)
            negs.push(unip);
          else
            ranges.push(unip);
          uflag = uflag || u;
          continue WHILE;
        }
      }
    }
    escaping = false;
    if (rangeStart) {
      if (c > rangeStart) {
        ranges.push(braceEscape(rangeStart) + "-" + braceEscape(c));
      } else if (c === rangeStart) {
        ranges.push(braceEscape(c));
      }
      rangeStart = "";
      i++;
      continue;
    }
    if (glob.startsWith("-]", i + 1)) {
      ranges.push(braceEscape(c + "-"));
      i += 2;
      continue;
    }
    if (glob.startsWith("-", i + 1)) {
      rangeStart = c;
      i += 2;
      continue;
    }
    ranges.push(braceEscape(c));
    i++;
  }
  if (endPos < i) {
    return ["", false, 0, false];
  }
  if (!ranges.length && !negs.length) {
    return ["$.", false, glob.length - pos, true];
  }
  if (negs.length === 0 && ranges.length === 1 && /^\\?.$/.test(ranges[0]) && !negate) {
    const r = ranges[0].length === 2 ? ranges[0].slice(-1) : ranges[0];
    return [regexpEscape(r), false, endPos - pos, false];
  }
  const sranges = "[" + (negate ? "^" : "") + rangesToString(ranges) + "]";
  const snegs = "[" + (negate ? "" : "^") + rangesToString(negs) + "]";
  const comb = ranges.length && negs.length ? "(" + sranges + "|" + snegs + ")" : ranges.length ? sranges : snegs;
  return [comb, uflag, endPos - pos, true];
};

// node_modules/minimatch/dist/esm/unescape.js
var unescape = (s, { windowsPathsNoEscape = false, magicalBraces = true } = {}) => {
  if (magicalBraces) {
    return windowsPathsNoEscape ? s.replace(/\[([^/\\])\]/g, "$1") : s.replace(/((?!\\).|^)\[([^/\\])\]/g, "$1$2").replace(/\\([^/])/g, "$1");
  }
  return windowsPathsNoEscape ? s.replace(/\[([^/\\{}])\]/g, "$1") : s.replace(/((?!\\).|^)\[([^/\\{}])\]/g, "$1$2").replace(/\\([^/{}])/g, "$1");
};

// node_modules/minimatch/dist/esm/ast.js
var _a;
var types = /* @__PURE__ */ new Set(["!", "?", "+", "*", "@"]);
var isExtglobType = (c) => types.has(c);
var isExtglobAST = (c) => isExtglobType(c.type);
var adoptionMap = /* @__PURE__ */ new Map([
  ["!", ["@"]],
  ["?", ["?", "@"]],
  ["@", ["@"]],
  ["*", ["*", "+", "?", "@"]],
  ["+", ["+", "@"]]
]);
var adoptionWithSpaceMap = /* @__PURE__ */ new Map([
  ["!", ["?"]],
  ["@", ["?"]],
  ["+", ["?", "*"]]
]);
var adoptionAnyMap = /* @__PURE__ */ new Map([
  ["!", ["?", "@"]],
  ["?", ["?", "@"]],
  ["@", ["?", "@"]],
  ["*", ["*", "+", "?", "@"]],
  ["+", ["+", "@", "?", "*"]]
]);
var usurpMap = /* @__PURE__ */ new Map([
  ["!", /* @__PURE__ */ new Map([["!", "@"]])],
  [
    "?",
    /* @__PURE__ */ new Map([
      ["*", "*"],
      ["+", "*"]
    ])
  ],
  [
    "@",
    /* @__PURE__ */ new Map([
      ["!", "!"],
      ["?", "?"],
      ["@", "@"],
      ["*", "*"],
      ["+", "+"]
    ])
  ],
  [
    "+",
    /* @__PURE__ */ new Map([
      ["?", "*"],
      ["*", "*"]
    ])
  ]
]);
var startNoTraversal = "(?!(?:^|/)\\.\\.?(?:$|/))";
var startNoDot = "(?!\\.)";
var addPatternStart = /* @__PURE__ */ new Set(["[", "."]);
var justDots = /* @__PURE__ */ new Set(["..", "."]);
var reSpecials = new Set("().*{}+?[]^$\\!");
var regExpEscape = (s) => s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, "\\$&");
var qmark = "[^/]";
var star = qmark + "*?";
var starNoEmpty = qmark + "+?";
var ID = 0;
var AST = class {
  type;
  #root;
  #hasMagic;
  #uflag = false;
  #parts = [];
  #parent;
  #parentIndex;
  #negs;
  #filledNegs = false;
  #options;
  #toString;
  // set to true if it's an extglob with no children
  // (which really means one child of '')
  #emptyExt = false;
  id = ++ID;
  get depth() {
    return (this.#parent?.depth ?? -1) + 1;
  }
  [/* @__PURE__ */ Symbol.for("nodejs.util.inspect.custom")]() {
    return {
      "@@type": "AST",
      id: this.id,
      type: this.type,
      root: this.#root.id,
      parent: this.#parent?.id,
      depth: this.depth,
      partsLength: this.#parts.length,
      parts: this.#parts
    };
  }
  constructor(type, parent, options = {}) {
    this.type = type;
    if (type)
      this.#hasMagic = true;
    this.#parent = parent;
    this.#root = this.#parent ? this.#parent.#root : this;
    this.#options = this.#root === this ? options : this.#root.#options;
    this.#negs = this.#root === this ? [] : this.#root.#negs;
    if (type === "!" && !this.#root.#filledNegs)
      this.#negs.push(this);
    this.#parentIndex = this.#parent ? this.#parent.#parts.length : 0;
  }
  get hasMagic() {
    if (this.#hasMagic !== void 0)
      return this.#hasMagic;
    for (const p of this.#parts) {
      if (typeof p === "string")
        continue;
      if (p.type || p.hasMagic)
        return this.#hasMagic = true;
    }
    return this.#hasMagic;
  }
  // reconstructs the pattern
  toString() {
    return this.#toString !== void 0 ? this.#toString : !this.type ? this.#toString = this.#parts.map((p) => String(p)).join("") : this.#toString = this.type + "(" + this.#parts.map((p) => String(p)).join("|") + ")";
  }
  #fillNegs() {
    if (this !== this.#root)
      throw new Error("should only call on root");
    if (this.#filledNegs)
      return this;
    this.toString();
    this.#filledNegs = true;
    let n;
    while (n = this.#negs.pop()) {
      if (n.type !== "!")
        continue;
      let p = n;
      let pp = p.#parent;
      while (pp) {
        for (let i = p.#parentIndex + 1; !pp.type && i < pp.#parts.length; i++) {
          for (const part of n.#parts) {
            if (typeof part === "string") {
              throw new Error("string part in extglob AST??");
            }
            part.copyIn(pp.#parts[i]);
          }
        }
        p = pp;
        pp = p.#parent;
      }
    }
    return this;
  }
  push(...parts) {
    for (const p of parts) {
      if (p === "")
        continue;
      if (typeof p !== "string" && !(p instanceof _a && p.#parent === this)) {
        throw new Error("invalid part: " + p);
      }
      this.#parts.push(p);
    }
  }
  toJSON() {
    const ret = this.type === null ? this.#parts.slice().map((p) => typeof p === "string" ? p : p.toJSON()) : [this.type, ...this.#parts.map((p) => p.toJSON())];
    if (this.isStart() && !this.type)
      ret.unshift([]);
    if (this.isEnd() && (this === this.#root || this.#root.#filledNegs && this.#parent?.type === "!")) {
      ret.push({});
    }
    return ret;
  }
  isStart() {
    if (this.#root === this)
      return true;
    if (!this.#parent?.isStart())
      return false;
    if (this.#parentIndex === 0)
      return true;
    const p = this.#parent;
    for (let i = 0; i < this.#parentIndex; i++) {
      const pp = p.#parts[i];
      if (!(pp instanceof _a && pp.type === "!")) {
        return false;
      }
    }
    return true;
  }
  isEnd() {
    if (this.#root === this)
      return true;
    if (this.#parent?.type === "!")
      return true;
    if (!this.#parent?.isEnd())
      return false;
    if (!this.type)
      return this.#parent?.isEnd();
    const pl = this.#parent ? this.#parent.#parts.length : 0;
    return this.#parentIndex === pl - 1;
  }
  copyIn(part) {
    if (typeof part === "string")
      this.push(part);
    else
      this.push(part.clone(this));
  }
  clone(parent) {
    const c = new _a(this.type, parent);
    for (const p of this.#parts) {
      c.copyIn(p);
    }
    return c;
  }
  static #parseAST(str, ast, pos, opt, extDepth) {
    const maxDepth = opt.maxExtglobRecursion ?? 2;
    let escaping = false;
    let inBrace = false;
    let braceStart = -1;
    let braceNeg = false;
    if (ast.type === null) {
      let i2 = pos;
      let acc2 = "";
      while (i2 < str.length) {
        const c = str.charAt(i2++);
        if (escaping || c === "\\") {
          escaping = !escaping;
          acc2 += c;
          continue;
        }
        if (inBrace) {
          if (i2 === braceStart + 1) {
            if (c === "^" || c === "!") {
              braceNeg = true;
            }
          } else if (c === "]" && !(i2 === braceStart + 2 && braceNeg)) {
            inBrace = false;
          }
          acc2 += c;
          continue;
        } else if (c === "[") {
          inBrace = true;
          braceStart = i2;
          braceNeg = false;
          acc2 += c;
          continue;
        }
        const doRecurse = !opt.noext && isExtglobType(c) && str.charAt(i2) === "(" && extDepth <= maxDepth;
        if (doRecurse) {
          ast.push(acc2);
          acc2 = "";
          const ext2 = new _a(c, ast);
          i2 = _a.#parseAST(str, ext2, i2, opt, extDepth + 1);
          ast.push(ext2);
          continue;
        }
        acc2 += c;
      }
      ast.push(acc2);
      return i2;
    }
    let i = pos + 1;
    let part = new _a(null, ast);
    const parts = [];
    let acc = "";
    while (i < str.length) {
      const c = str.charAt(i++);
      if (escaping || c === "\\") {
        escaping = !escaping;
        acc += c;
        continue;
      }
      if (inBrace) {
        if (i === braceStart + 1) {
          if (c === "^" || c === "!") {
            braceNeg = true;
          }
        } else if (c === "]" && !(i === braceStart + 2 && braceNeg)) {
          inBrace = false;
        }
        acc += c;
        continue;
      } else if (c === "[") {
        inBrace = true;
        braceStart = i;
        braceNeg = false;
        acc += c;
        continue;
      }
      const doRecurse = !opt.noext && isExtglobType(c) && str.charAt(i) === "(" && /* c8 ignore start - the maxDepth is sufficient here */
      (extDepth <= maxDepth || ast && ast.#canAdoptType(c));
      if (doRecurse) {
        const depthAdd = ast && ast.#canAdoptType(c) ? 0 : 1;
        part.push(acc);
        acc = "";
        const ext2 = new _a(c, part);
        part.push(ext2);
        i = _a.#parseAST(str, ext2, i, opt, extDepth + depthAdd);
        continue;
      }
      if (c === "|") {
        part.push(acc);
        acc = "";
        parts.push(part);
        part = new _a(null, ast);
        continue;
      }
      if (c === ")") {
        if (acc === "" && ast.#parts.length === 0) {
          ast.#emptyExt = true;
        }
        part.push(acc);
        acc = "";
        ast.push(...parts, part);
        return i;
      }
      acc += c;
    }
    ast.type = null;
    ast.#hasMagic = void 0;
    ast.#parts = [str.substring(pos - 1)];
    return i;
  }
  #canAdoptWithSpace(child) {
    return this.#canAdopt(child, adoptionWithSpaceMap);
  }
  #canAdopt(child, map = adoptionMap) {
    if (!child || typeof child !== "object" || child.type !== null || child.#parts.length !== 1 || this.type === null) {
      return false;
    }
    const gc = child.#parts[0];
    if (!gc || typeof gc !== "object" || gc.type === null) {
      return false;
    }
    return this.#canAdoptType(gc.type, map);
  }
  #canAdoptType(c, map = adoptionAnyMap) {
    return !!map.get(this.type)?.includes(c);
  }
  #adoptWithSpace(child, index) {
    const gc = child.#parts[0];
    const blank = new _a(null, gc, this.options);
    blank.#parts.push("");
    gc.push(blank);
    this.#adopt(child, index);
  }
  #adopt(child, index) {
    const gc = child.#parts[0];
    this.#parts.splice(index, 1, ...gc.#parts);
    for (const p of gc.#parts) {
      if (typeof p === "object")
        p.#parent = this;
    }
    this.#toString = void 0;
  }
  #canUsurpType(c) {
    const m = usurpMap.get(this.type);
    return !!m?.has(c);
  }
  #canUsurp(child) {
    if (!child || typeof child !== "object" || child.type !== null || child.#parts.length !== 1 || this.type === null || this.#parts.length !== 1) {
      return false;
    }
    const gc = child.#parts[0];
    if (!gc || typeof gc !== "object" || gc.type === null) {
      return false;
    }
    return this.#canUsurpType(gc.type);
  }
  #usurp(child) {
    const m = usurpMap.get(this.type);
    const gc = child.#parts[0];
    const nt = m?.get(gc.type);
    if (!nt)
      return false;
    this.#parts = gc.#parts;
    for (const p of this.#parts) {
      if (typeof p === "object") {
        p.#parent = this;
      }
    }
    this.type = nt;
    this.#toString = void 0;
    this.#emptyExt = false;
  }
  static fromGlob(pattern, options = {}) {
    const ast = new _a(null, void 0, options);
    _a.#parseAST(pattern, ast, 0, options, 0);
    return ast;
  }
  // returns the regular expression if there's magic, or the unescaped
  // string if not.
  toMMPattern() {
    if (this !== this.#root)
      return this.#root.toMMPattern();
    const glob = this.toString();
    const [re, body, hasMagic, uflag] = this.toRegExpSource();
    const anyMagic = hasMagic || this.#hasMagic || this.#options.nocase && !this.#options.nocaseMagicOnly && glob.toUpperCase() !== glob.toLowerCase();
    if (!anyMagic) {
      return body;
    }
    const flags = (this.#options.nocase ? "i" : "") + (uflag ? "u" : "");
    return Object.assign(new RegExp(`^${re}$`, flags), {
      _src: re,
      _glob: glob
    });
  }
  get options() {
    return this.#options;
  }
  // returns the string match, the regexp source, whether there's magic
  // in the regexp (so a regular expression is required) and whether or
  // not the uflag is needed for the regular expression (for posix classes)
  // TODO: instead of injecting the start/end at this point, just return
  // the BODY of the regexp, along with the start/end portions suitable
  // for binding the start/end in either a joined full-path makeRe context
  // (where we bind to (^|/), or a standalone matchPart context (where
  // we bind to ^, and not /).  Otherwise slashes get duped!
  //
  // In part-matching mode, the start is:
  // - if not isStart: nothing
  // - if traversal possible, but not allowed: ^(?!\.\.?$)
  // - if dots allowed or not possible: ^
  // - if dots possible and not allowed: ^(?!\.)
  // end is:
  // - if not isEnd(): nothing
  // - else: $
  //
  // In full-path matching mode, we put the slash at the START of the
  // pattern, so start is:
  // - if first pattern: same as part-matching mode
  // - if not isStart(): nothing
  // - if traversal possible, but not allowed: /(?!\.\.?(?:$|/))
  // - if dots allowed or not possible: /
  // - if dots possible and not allowed: /(?!\.)
  // end is:
  // - if last pattern, same as part-matching mode
  // - else nothing
  //
  // Always put the (?:$|/) on negated tails, though, because that has to be
  // there to bind the end of the negated pattern portion, and it's easier to
  // just stick it in now rather than try to inject it later in the middle of
  // the pattern.
  //
  // We can just always return the same end, and leave it up to the caller
  // to know whether it's going to be used joined or in parts.
  // And, if the start is adjusted slightly, can do the same there:
  // - if not isStart: nothing
  // - if traversal possible, but not allowed: (?:/|^)(?!\.\.?$)
  // - if dots allowed or not possible: (?:/|^)
  // - if dots possible and not allowed: (?:/|^)(?!\.)
  //
  // But it's better to have a simpler binding without a conditional, for
  // performance, so probably better to return both start options.
  //
  // Then the caller just ignores the end if it's not the first pattern,
  // and the start always gets applied.
  //
  // But that's always going to be $ if it's the ending pattern, or nothing,
  // so the caller can just attach $ at the end of the pattern when building.
  //
  // So the todo is:
  // - better detect what kind of start is needed
  // - return both flavors of starting pattern
  // - attach $ at the end of the pattern when creating the actual RegExp
  //
  // Ah, but wait, no, that all only applies to the root when the first pattern
  // is not an extglob. If the first pattern IS an extglob, then we need all
  // that dot prevention biz to live in the extglob portions, because eg
  // +(*|.x*) can match .xy but not .yx.
  //
  // So, return the two flavors if it's #root and the first child is not an
  // AST, otherwise leave it to the child AST to handle it, and there,
  // use the (?:^|/) style of start binding.
  //
  // Even simplified further:
  // - Since the start for a join is eg /(?!\.) and the start for a part
  // is ^(?!\.), we can just prepend (?!\.) to the pattern (either root
  // or start or whatever) and prepend ^ or / at the Regexp construction.
  toRegExpSource(allowDot) {
    const dot = allowDot ?? !!this.#options.dot;
    if (this.#root === this) {
      this.#flatten();
      this.#fillNegs();
    }
    if (!isExtglobAST(this)) {
      const noEmpty = this.isStart() && this.isEnd() && !this.#parts.some((s) => typeof s !== "string");
      const src = this.#parts.map((p) => {
        const [re, _, hasMagic, uflag] = typeof p === "string" ? _a.#parseGlob(p, this.#hasMagic, noEmpty) : p.toRegExpSource(allowDot);
        this.#hasMagic = this.#hasMagic || hasMagic;
        this.#uflag = this.#uflag || uflag;
        return re;
      }).join("");
      let start3 = "";
      if (this.isStart()) {
        if (typeof this.#parts[0] === "string") {
          const dotTravAllowed = this.#parts.length === 1 && justDots.has(this.#parts[0]);
          if (!dotTravAllowed) {
            const aps = addPatternStart;
            const needNoTrav = (
              // dots are allowed, and the pattern starts with [ or .
              dot && aps.has(src.charAt(0)) || // the pattern starts with \., and then [ or .
              src.startsWith("\\.") && aps.has(src.charAt(2)) || // the pattern starts with \.\., and then [ or .
              src.startsWith("\\.\\.") && aps.has(src.charAt(4))
            );
            const needNoDot = !dot && !allowDot && aps.has(src.charAt(0));
            start3 = needNoTrav ? startNoTraversal : needNoDot ? startNoDot : "";
          }
        }
      }
      let end = "";
      if (this.isEnd() && this.#root.#filledNegs && this.#parent?.type === "!") {
        end = "(?:$|\\/)";
      }
      const final2 = start3 + src + end;
      return [
        final2,
        unescape(src),
        this.#hasMagic = !!this.#hasMagic,
        this.#uflag
      ];
    }
    const repeated = this.type === "*" || this.type === "+";
    const start2 = this.type === "!" ? "(?:(?!(?:" : "(?:";
    let body = this.#partsToRegExp(dot);
    if (this.isStart() && this.isEnd() && !body && this.type !== "!") {
      const s = this.toString();
      const me = this;
      me.#parts = [s];
      me.type = null;
      me.#hasMagic = void 0;
      return [s, unescape(this.toString()), false, false];
    }
    let bodyDotAllowed = !repeated || allowDot || dot || !startNoDot ? "" : this.#partsToRegExp(true);
    if (bodyDotAllowed === body) {
      bodyDotAllowed = "";
    }
    if (bodyDotAllowed) {
      body = `(?:${body})(?:${bodyDotAllowed})*?`;
    }
    let final = "";
    if (this.type === "!" && this.#emptyExt) {
      final = (this.isStart() && !dot ? startNoDot : "") + starNoEmpty;
    } else {
      const close = this.type === "!" ? (
        // !() must match something,but !(x) can match ''
        "))" + (this.isStart() && !dot && !allowDot ? startNoDot : "") + star + ")"
      ) : this.type === "@" ? ")" : this.type === "?" ? ")?" : this.type === "+" && bodyDotAllowed ? ")" : this.type === "*" && bodyDotAllowed ? `)?` : `)${this.type}`;
      final = start2 + body + close;
    }
    return [
      final,
      unescape(body),
      this.#hasMagic = !!this.#hasMagic,
      this.#uflag
    ];
  }
  #flatten() {
    if (!isExtglobAST(this)) {
      for (const p of this.#parts) {
        if (typeof p === "object") {
          p.#flatten();
        }
      }
    } else {
      let iterations = 0;
      let done = false;
      do {
        done = true;
        for (let i = 0; i < this.#parts.length; i++) {
          const c = this.#parts[i];
          if (typeof c === "object") {
            c.#flatten();
            if (this.#canAdopt(c)) {
              done = false;
              this.#adopt(c, i);
            } else if (this.#canAdoptWithSpace(c)) {
              done = false;
              this.#adoptWithSpace(c, i);
            } else if (this.#canUsurp(c)) {
              done = false;
              this.#usurp(c);
            }
          }
        }
      } while (!done && ++iterations < 10);
    }
    this.#toString = void 0;
  }
  #partsToRegExp(dot) {
    return this.#parts.map((p) => {
      if (typeof p === "string") {
        throw new Error("string type in extglob ast??");
      }
      const [re, _, _hasMagic, uflag] = p.toRegExpSource(dot);
      this.#uflag = this.#uflag || uflag;
      return re;
    }).filter((p) => !(this.isStart() && this.isEnd()) || !!p).join("|");
  }
  static #parseGlob(glob, hasMagic, noEmpty = false) {
    let escaping = false;
    let re = "";
    let uflag = false;
    let inStar = false;
    for (let i = 0; i < glob.length; i++) {
      const c = glob.charAt(i);
      if (escaping) {
        escaping = false;
        re += (reSpecials.has(c) ? "\\" : "") + c;
        continue;
      }
      if (c === "*") {
        if (inStar)
          continue;
        inStar = true;
        re += noEmpty && /^[*]+$/.test(glob) ? starNoEmpty : star;
        hasMagic = true;
        continue;
      } else {
        inStar = false;
      }
      if (c === "\\") {
        if (i === glob.length - 1) {
          re += "\\\\";
        } else {
          escaping = true;
        }
        continue;
      }
      if (c === "[") {
        const [src, needUflag, consumed, magic] = parseClass(glob, i);
        if (consumed) {
          re += src;
          uflag = uflag || needUflag;
          i += consumed - 1;
          hasMagic = hasMagic || magic;
          continue;
        }
      }
      if (c === "?") {
        re += qmark;
        hasMagic = true;
        continue;
      }
      re += regExpEscape(c);
    }
    return [re, unescape(glob), !!hasMagic, uflag];
  }
};
_a = AST;

// node_modules/minimatch/dist/esm/escape.js
var escape = (s, { windowsPathsNoEscape = false, magicalBraces = false } = {}) => {
  if (magicalBraces) {
    return windowsPathsNoEscape ? s.replace(/[?*()[\]{}]/g, "[$&]") : s.replace(/[?*()[\]\\{}]/g, "\\$&");
  }
  return windowsPathsNoEscape ? s.replace(/[?*()[\]]/g, "[$&]") : s.replace(/[?*()[\]\\]/g, "\\$&");
};

// node_modules/minimatch/dist/esm/index.js
var minimatch = (p, pattern, options = {}) => {
  assertValidPattern(pattern);
  if (!options.nocomment && pattern.charAt(0) === "#") {
    return false;
  }
  return new Minimatch(pattern, options).match(p);
};
var starDotExtRE = /^\*+([^+@!?*[(]*)$/;
var starDotExtTest = (ext2) => (f) => !f.startsWith(".") && f.endsWith(ext2);
var starDotExtTestDot = (ext2) => (f) => f.endsWith(ext2);
var starDotExtTestNocase = (ext2) => {
  ext2 = ext2.toLowerCase();
  return (f) => !f.startsWith(".") && f.toLowerCase().endsWith(ext2);
};
var starDotExtTestNocaseDot = (ext2) => {
  ext2 = ext2.toLowerCase();
  return (f) => f.toLowerCase().endsWith(ext2);
};
var starDotStarRE = /^\*+\.\*+$/;
var starDotStarTest = (f) => !f.startsWith(".") && f.includes(".");
var starDotStarTestDot = (f) => f !== "." && f !== ".." && f.includes(".");
var dotStarRE = /^\.\*+$/;
var dotStarTest = (f) => f !== "." && f !== ".." && f.startsWith(".");
var starRE = /^\*+$/;
var starTest = (f) => f.length !== 0 && !f.startsWith(".");
var starTestDot = (f) => f.length !== 0 && f !== "." && f !== "..";
var qmarksRE = /^\?+([^+@!?*[(]*)?$/;
var qmarksTestNocase = ([$0, ext2 = ""]) => {
  const noext = qmarksTestNoExt([$0]);
  if (!ext2)
    return noext;
  ext2 = ext2.toLowerCase();
  return (f) => noext(f) && f.toLowerCase().endsWith(ext2);
};
var qmarksTestNocaseDot = ([$0, ext2 = ""]) => {
  const noext = qmarksTestNoExtDot([$0]);
  if (!ext2)
    return noext;
  ext2 = ext2.toLowerCase();
  return (f) => noext(f) && f.toLowerCase().endsWith(ext2);
};
var qmarksTestDot = ([$0, ext2 = ""]) => {
  const noext = qmarksTestNoExtDot([$0]);
  return !ext2 ? noext : (f) => noext(f) && f.endsWith(ext2);
};
var qmarksTest = ([$0, ext2 = ""]) => {
  const noext = qmarksTestNoExt([$0]);
  return !ext2 ? noext : (f) => noext(f) && f.endsWith(ext2);
};
var qmarksTestNoExt = ([$0]) => {
  const len = $0.length;
  return (f) => f.length === len && !f.startsWith(".");
};
var qmarksTestNoExtDot = ([$0]) => {
  const len = $0.length;
  return (f) => f.length === len && f !== "." && f !== "..";
};
var defaultPlatform = typeof process === "object" && process ? typeof process.env === "object" && process.env && process.env.__MINIMATCH_TESTING_PLATFORM__ || process.platform : "posix";
var path30 = {
  win32: { sep: "\\" },
  posix: { sep: "/" }
};
var sep2 = defaultPlatform === "win32" ? path30.win32.sep : path30.posix.sep;
minimatch.sep = sep2;
var GLOBSTAR = /* @__PURE__ */ Symbol("globstar **");
minimatch.GLOBSTAR = GLOBSTAR;
var qmark2 = "[^/]";
var star2 = qmark2 + "*?";
var twoStarDot = "(?:(?!(?:\\/|^)(?:\\.{1,2})($|\\/)).)*?";
var twoStarNoDot = "(?:(?!(?:\\/|^)\\.).)*?";
var filter = (pattern, options = {}) => (p) => minimatch(p, pattern, options);
minimatch.filter = filter;
var ext = (a, b = {}) => Object.assign({}, a, b);
var defaults = (def) => {
  if (!def || typeof def !== "object" || !Object.keys(def).length) {
    return minimatch;
  }
  const orig = minimatch;
  const m = (p, pattern, options = {}) => orig(p, pattern, ext(def, options));
  return Object.assign(m, {
    Minimatch: class Minimatch extends orig.Minimatch {
      constructor(pattern, options = {}) {
        super(pattern, ext(def, options));
      }
      static defaults(options) {
        return orig.defaults(ext(def, options)).Minimatch;
      }
    },
    AST: class AST extends orig.AST {
      /* c8 ignore start */
      constructor(type, parent, options = {}) {
        super(type, parent, ext(def, options));
      }
      /* c8 ignore stop */
      static fromGlob(pattern, options = {}) {
        return orig.AST.fromGlob(pattern, ext(def, options));
      }
    },
    unescape: (s, options = {}) => orig.unescape(s, ext(def, options)),
    escape: (s, options = {}) => orig.escape(s, ext(def, options)),
    filter: (pattern, options = {}) => orig.filter(pattern, ext(def, options)),
    defaults: (options) => orig.defaults(ext(def, options)),
    makeRe: (pattern, options = {}) => orig.makeRe(pattern, ext(def, options)),
    braceExpand: (pattern, options = {}) => orig.braceExpand(pattern, ext(def, options)),
    match: (list, pattern, options = {}) => orig.match(list, pattern, ext(def, options)),
    sep: orig.sep,
    GLOBSTAR
  });
};
minimatch.defaults = defaults;
var braceExpand = (pattern, options = {}) => {
  assertValidPattern(pattern);
  if (options.nobrace || !/\{(?:(?!\{).)*\}/.test(pattern)) {
    return [pattern];
  }
  return expand(pattern, { max: options.braceExpandMax });
};
minimatch.braceExpand = braceExpand;
var makeRe = (pattern, options = {}) => new Minimatch(pattern, options).makeRe();
minimatch.makeRe = makeRe;
var match3 = (list, pattern, options = {}) => {
  const mm = new Minimatch(pattern, options);
  list = list.filter((f) => mm.match(f));
  if (mm.options.nonull && !list.length) {
    list.push(pattern);
  }
  return list;
};
minimatch.match = match3;
var globMagic = /[?*]|[+@!]\(.*?\)|\[|\]/;
var regExpEscape2 = (s) => s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, "\\$&");
var Minimatch = class {
  options;
  set;
  pattern;
  windowsPathsNoEscape;
  nonegate;
  negate;
  comment;
  empty;
  preserveMultipleSlashes;
  partial;
  globSet;
  globParts;
  nocase;
  isWindows;
  platform;
  windowsNoMagicRoot;
  maxGlobstarRecursion;
  regexp;
  constructor(pattern, options = {}) {
    assertValidPattern(pattern);
    options = options || {};
    this.options = options;
    this.maxGlobstarRecursion = options.maxGlobstarRecursion ?? 200;
    this.pattern = pattern;
    this.platform = options.platform || defaultPlatform;
    this.isWindows = this.platform === "win32";
    const awe = "allowWindowsEscape";
    this.windowsPathsNoEscape = !!options.windowsPathsNoEscape || options[awe] === false;
    if (this.windowsPathsNoEscape) {
      this.pattern = this.pattern.replace(/\\/g, "/");
    }
    this.preserveMultipleSlashes = !!options.preserveMultipleSlashes;
    this.regexp = null;
    this.negate = false;
    this.nonegate = !!options.nonegate;
    this.comment = false;
    this.empty = false;
    this.partial = !!options.partial;
    this.nocase = !!this.options.nocase;
    this.windowsNoMagicRoot = options.windowsNoMagicRoot !== void 0 ? options.windowsNoMagicRoot : !!(this.isWindows && this.nocase);
    this.globSet = [];
    this.globParts = [];
    this.set = [];
    this.make();
  }
  hasMagic() {
    if (this.options.magicalBraces && this.set.length > 1) {
      return true;
    }
    for (const pattern of this.set) {
      for (const part of pattern) {
        if (typeof part !== "string")
          return true;
      }
    }
    return false;
  }
  debug(..._) {
  }
  make() {
    const pattern = this.pattern;
    const options = this.options;
    if (!options.nocomment && pattern.charAt(0) === "#") {
      this.comment = true;
      return;
    }
    if (!pattern) {
      this.empty = true;
      return;
    }
    this.parseNegate();
    this.globSet = [...new Set(this.braceExpand())];
    if (options.debug) {
      this.debug = (...args) => console.error(...args);
    }
    this.debug(this.pattern, this.globSet);
    const rawGlobParts = this.globSet.map((s) => this.slashSplit(s));
    this.globParts = this.preprocess(rawGlobParts);
    this.debug(this.pattern, this.globParts);
    let set = this.globParts.map((s, _, __) => {
      if (this.isWindows && this.windowsNoMagicRoot) {
        const isUNC = s[0] === "" && s[1] === "" && (s[2] === "?" || !globMagic.test(s[2])) && !globMagic.test(s[3]);
        const isDrive = /^[a-z]:/i.test(s[0]);
        if (isUNC) {
          return [
            ...s.slice(0, 4),
            ...s.slice(4).map((ss) => this.parse(ss))
          ];
        } else if (isDrive) {
          return [s[0], ...s.slice(1).map((ss) => this.parse(ss))];
        }
      }
      return s.map((ss) => this.parse(ss));
    });
    this.debug(this.pattern, set);
    this.set = set.filter((s) => s.indexOf(false) === -1);
    if (this.isWindows) {
      for (let i = 0; i < this.set.length; i++) {
        const p = this.set[i];
        if (p[0] === "" && p[1] === "" && this.globParts[i][2] === "?" && typeof p[3] === "string" && /^[a-z]:$/i.test(p[3])) {
          p[2] = "?";
        }
      }
    }
    this.debug(this.pattern, this.set);
  }
  // various transforms to equivalent pattern sets that are
  // faster to process in a filesystem walk.  The goal is to
  // eliminate what we can, and push all ** patterns as far
  // to the right as possible, even if it increases the number
  // of patterns that we have to process.
  preprocess(globParts) {
    if (this.options.noglobstar) {
      for (const partset of globParts) {
        for (let j = 0; j < partset.length; j++) {
          if (partset[j] === "**") {
            partset[j] = "*";
          }
        }
      }
    }
    const { optimizationLevel = 1 } = this.options;
    if (optimizationLevel >= 2) {
      globParts = this.firstPhasePreProcess(globParts);
      globParts = this.secondPhasePreProcess(globParts);
    } else if (optimizationLevel >= 1) {
      globParts = this.levelOneOptimize(globParts);
    } else {
      globParts = this.adjascentGlobstarOptimize(globParts);
    }
    return globParts;
  }
  // just get rid of adjascent ** portions
  adjascentGlobstarOptimize(globParts) {
    return globParts.map((parts) => {
      let gs = -1;
      while (-1 !== (gs = parts.indexOf("**", gs + 1))) {
        let i = gs;
        while (parts[i + 1] === "**") {
          i++;
        }
        if (i !== gs) {
          parts.splice(gs, i - gs);
        }
      }
      return parts;
    });
  }
  // get rid of adjascent ** and resolve .. portions
  levelOneOptimize(globParts) {
    return globParts.map((parts) => {
      parts = parts.reduce((set, part) => {
        const prev = set[set.length - 1];
        if (part === "**" && prev === "**") {
          return set;
        }
        if (part === "..") {
          if (prev && prev !== ".." && prev !== "." && prev !== "**") {
            set.pop();
            return set;
          }
        }
        set.push(part);
        return set;
      }, []);
      return parts.length === 0 ? [""] : parts;
    });
  }
  levelTwoFileOptimize(parts) {
    if (!Array.isArray(parts)) {
      parts = this.slashSplit(parts);
    }
    let didSomething = false;
    do {
      didSomething = false;
      if (!this.preserveMultipleSlashes) {
        for (let i = 1; i < parts.length - 1; i++) {
          const p = parts[i];
          if (i === 1 && p === "" && parts[0] === "")
            continue;
          if (p === "." || p === "") {
            didSomething = true;
            parts.splice(i, 1);
            i--;
          }
        }
        if (parts[0] === "." && parts.length === 2 && (parts[1] === "." || parts[1] === "")) {
          didSomething = true;
          parts.pop();
        }
      }
      let dd = 0;
      while (-1 !== (dd = parts.indexOf("..", dd + 1))) {
        const p = parts[dd - 1];
        if (p && p !== "." && p !== ".." && p !== "**" && !(this.isWindows && /^[a-z]:$/i.test(p))) {
          didSomething = true;
          parts.splice(dd - 1, 2);
          dd -= 2;
        }
      }
    } while (didSomething);
    return parts.length === 0 ? [""] : parts;
  }
  // First phase: single-pattern processing
  // <pre> is 1 or more portions
  // <rest> is 1 or more portions
  // <p> is any portion other than ., .., '', or **
  // <e> is . or ''
  //
  // **/.. is *brutal* for filesystem walking performance, because
  // it effectively resets the recursive walk each time it occurs,
  // and ** cannot be reduced out by a .. pattern part like a regexp
  // or most strings (other than .., ., and '') can be.
  //
  // <pre>/**/../<p>/<p>/<rest> -> {<pre>/../<p>/<p>/<rest>,<pre>/**/<p>/<p>/<rest>}
  // <pre>/<e>/<rest> -> <pre>/<rest>
  // <pre>/<p>/../<rest> -> <pre>/<rest>
  // **/**/<rest> -> **/<rest>
  //
  // **/*/<rest> -> */**/<rest> <== not valid because ** doesn't follow
  // this WOULD be allowed if ** did follow symlinks, or * didn't
  firstPhasePreProcess(globParts) {
    let didSomething = false;
    do {
      didSomething = false;
      for (let parts of globParts) {
        let gs = -1;
        while (-1 !== (gs = parts.indexOf("**", gs + 1))) {
          let gss = gs;
          while (parts[gss + 1] === "**") {
            gss++;
          }
          if (gss > gs) {
            parts.splice(gs + 1, gss - gs);
          }
          let next = parts[gs + 1];
          const p = parts[gs + 2];
          const p2 = parts[gs + 3];
          if (next !== "..")
            continue;
          if (!p || p === "." || p === ".." || !p2 || p2 === "." || p2 === "..") {
            continue;
          }
          didSomething = true;
          parts.splice(gs, 1);
          const other = parts.slice(0);
          other[gs] = "**";
          globParts.push(other);
          gs--;
        }
        if (!this.preserveMultipleSlashes) {
          for (let i = 1; i < parts.length - 1; i++) {
            const p = parts[i];
            if (i === 1 && p === "" && parts[0] === "")
              continue;
            if (p === "." || p === "") {
              didSomething = true;
              parts.splice(i, 1);
              i--;
            }
          }
          if (parts[0] === "." && parts.length === 2 && (parts[1] === "." || parts[1] === "")) {
            didSomething = true;
            parts.pop();
          }
        }
        let dd = 0;
        while (-1 !== (dd = parts.indexOf("..", dd + 1))) {
          const p = parts[dd - 1];
          if (p && p !== "." && p !== ".." && p !== "**") {
            didSomething = true;
            const needDot = dd === 1 && parts[dd + 1] === "**";
            const splin = needDot ? ["."] : [];
            parts.splice(dd - 1, 2, ...splin);
            if (parts.length === 0)
              parts.push("");
            dd -= 2;
          }
        }
      }
    } while (didSomething);
    return globParts;
  }
  // second phase: multi-pattern dedupes
  // {<pre>/*/<rest>,<pre>/<p>/<rest>} -> <pre>/*/<rest>
  // {<pre>/<rest>,<pre>/<rest>} -> <pre>/<rest>
  // {<pre>/**/<rest>,<pre>/<rest>} -> <pre>/**/<rest>
  //
  // {<pre>/**/<rest>,<pre>/**/<p>/<rest>} -> <pre>/**/<rest>
  // ^-- not valid because ** doens't follow symlinks
  secondPhasePreProcess(globParts) {
    for (let i = 0; i < globParts.length - 1; i++) {
      for (let j = i + 1; j < globParts.length; j++) {
        const matched = this.partsMatch(globParts[i], globParts[j], !this.preserveMultipleSlashes);
        if (matched) {
          globParts[i] = [];
          globParts[j] = matched;
          break;
        }
      }
    }
    return globParts.filter((gs) => gs.length);
  }
  partsMatch(a, b, emptyGSMatch = false) {
    let ai = 0;
    let bi = 0;
    let result = [];
    let which2 = "";
    while (ai < a.length && bi < b.length) {
      if (a[ai] === b[bi]) {
        result.push(which2 === "b" ? b[bi] : a[ai]);
        ai++;
        bi++;
      } else if (emptyGSMatch && a[ai] === "**" && b[bi] === a[ai + 1]) {
        result.push(a[ai]);
        ai++;
      } else if (emptyGSMatch && b[bi] === "**" && a[ai] === b[bi + 1]) {
        result.push(b[bi]);
        bi++;
      } else if (a[ai] === "*" && b[bi] && (this.options.dot || !b[bi].startsWith(".")) && b[bi] !== "**") {
        if (which2 === "b")
          return false;
        which2 = "a";
        result.push(a[ai]);
        ai++;
        bi++;
      } else if (b[bi] === "*" && a[ai] && (this.options.dot || !a[ai].startsWith(".")) && a[ai] !== "**") {
        if (which2 === "a")
          return false;
        which2 = "b";
        result.push(b[bi]);
        ai++;
        bi++;
      } else {
        return false;
      }
    }
    return a.length === b.length && result;
  }
  parseNegate() {
    if (this.nonegate)
      return;
    const pattern = this.pattern;
    let negate = false;
    let negateOffset = 0;
    for (let i = 0; i < pattern.length && pattern.charAt(i) === "!"; i++) {
      negate = !negate;
      negateOffset++;
    }
    if (negateOffset)
      this.pattern = pattern.slice(negateOffset);
    this.negate = negate;
  }
  // set partial to true to test if, for example,
  // "/a/b" matches the start of "/*/b/*/d"
  // Partial means, if you run out of file before you run
  // out of pattern, then that's fine, as long as all
  // the parts match.
  matchOne(file2, pattern, partial = false) {
    let fileStartIndex = 0;
    let patternStartIndex = 0;
    if (this.isWindows) {
      const fileDrive = typeof file2[0] === "string" && /^[a-z]:$/i.test(file2[0]);
      const fileUNC = !fileDrive && file2[0] === "" && file2[1] === "" && file2[2] === "?" && /^[a-z]:$/i.test(file2[3]);
      const patternDrive = typeof pattern[0] === "string" && /^[a-z]:$/i.test(pattern[0]);
      const patternUNC = !patternDrive && pattern[0] === "" && pattern[1] === "" && pattern[2] === "?" && typeof pattern[3] === "string" && /^[a-z]:$/i.test(pattern[3]);
      const fdi = fileUNC ? 3 : fileDrive ? 0 : void 0;
      const pdi = patternUNC ? 3 : patternDrive ? 0 : void 0;
      if (typeof fdi === "number" && typeof pdi === "number") {
        const [fd, pd] = [
          file2[fdi],
          pattern[pdi]
        ];
        if (fd.toLowerCase() === pd.toLowerCase()) {
          pattern[pdi] = fd;
          patternStartIndex = pdi;
          fileStartIndex = fdi;
        }
      }
    }
    const { optimizationLevel = 1 } = this.options;
    if (optimizationLevel >= 2) {
      file2 = this.levelTwoFileOptimize(file2);
    }
    if (pattern.includes(GLOBSTAR)) {
      return this.#matchGlobstar(file2, pattern, partial, fileStartIndex, patternStartIndex);
    }
    return this.#matchOne(file2, pattern, partial, fileStartIndex, patternStartIndex);
  }
  #matchGlobstar(file2, pattern, partial, fileIndex, patternIndex) {
    const firstgs = pattern.indexOf(GLOBSTAR, patternIndex);
    const lastgs = pattern.lastIndexOf(GLOBSTAR);
    const [head, body, tail] = partial ? [
      pattern.slice(patternIndex, firstgs),
      pattern.slice(firstgs + 1),
      []
    ] : [
      pattern.slice(patternIndex, firstgs),
      pattern.slice(firstgs + 1, lastgs),
      pattern.slice(lastgs + 1)
    ];
    if (head.length) {
      const fileHead = file2.slice(fileIndex, fileIndex + head.length);
      if (!this.#matchOne(fileHead, head, partial, 0, 0)) {
        return false;
      }
      fileIndex += head.length;
      patternIndex += head.length;
    }
    let fileTailMatch = 0;
    if (tail.length) {
      if (tail.length + fileIndex > file2.length)
        return false;
      let tailStart = file2.length - tail.length;
      if (this.#matchOne(file2, tail, partial, tailStart, 0)) {
        fileTailMatch = tail.length;
      } else {
        if (file2[file2.length - 1] !== "" || fileIndex + tail.length === file2.length) {
          return false;
        }
        tailStart--;
        if (!this.#matchOne(file2, tail, partial, tailStart, 0)) {
          return false;
        }
        fileTailMatch = tail.length + 1;
      }
    }
    if (!body.length) {
      let sawSome = !!fileTailMatch;
      for (let i2 = fileIndex; i2 < file2.length - fileTailMatch; i2++) {
        const f = String(file2[i2]);
        sawSome = true;
        if (f === "." || f === ".." || !this.options.dot && f.startsWith(".")) {
          return false;
        }
      }
      return partial || sawSome;
    }
    const bodySegments = [[[], 0]];
    let currentBody = bodySegments[0];
    let nonGsParts = 0;
    const nonGsPartsSums = [0];
    for (const b of body) {
      if (b === GLOBSTAR) {
        nonGsPartsSums.push(nonGsParts);
        currentBody = [[], 0];
        bodySegments.push(currentBody);
      } else {
        currentBody[0].push(b);
        nonGsParts++;
      }
    }
    let i = bodySegments.length - 1;
    const fileLength = file2.length - fileTailMatch;
    for (const b of bodySegments) {
      b[1] = fileLength - (nonGsPartsSums[i--] + b[0].length);
    }
    return !!this.#matchGlobStarBodySections(file2, bodySegments, fileIndex, 0, partial, 0, !!fileTailMatch);
  }
  // return false for "nope, not matching"
  // return null for "not matching, cannot keep trying"
  #matchGlobStarBodySections(file2, bodySegments, fileIndex, bodyIndex, partial, globStarDepth, sawTail) {
    const bs = bodySegments[bodyIndex];
    if (!bs) {
      for (let i = fileIndex; i < file2.length; i++) {
        sawTail = true;
        const f = file2[i];
        if (f === "." || f === ".." || !this.options.dot && f.startsWith(".")) {
          return false;
        }
      }
      return sawTail;
    }
    const [body, after] = bs;
    while (fileIndex <= after) {
      const m = this.#matchOne(file2.slice(0, fileIndex + body.length), body, partial, fileIndex, 0);
      if (m && globStarDepth < this.maxGlobstarRecursion) {
        const sub = this.#matchGlobStarBodySections(file2, bodySegments, fileIndex + body.length, bodyIndex + 1, partial, globStarDepth + 1, sawTail);
        if (sub !== false) {
          return sub;
        }
      }
      const f = file2[fileIndex];
      if (f === "." || f === ".." || !this.options.dot && f.startsWith(".")) {
        return false;
      }
      fileIndex++;
    }
    return partial || null;
  }
  #matchOne(file2, pattern, partial, fileIndex, patternIndex) {
    let fi;
    let pi;
    let pl;
    let fl;
    for (fi = fileIndex, pi = patternIndex, fl = file2.length, pl = pattern.length; fi < fl && pi < pl; fi++, pi++) {
      this.debug("matchOne loop");
      let p = pattern[pi];
      let f = file2[fi];
      this.debug(pattern, p, f);
      if (p === false || p === GLOBSTAR) {
        return false;
      }
      let hit;
      if (typeof p === "string") {
        hit = f === p;
        this.debug("string match", p, f, hit);
      } else {
        hit = p.test(f);
        this.debug("pattern match", p, f, hit);
      }
      if (!hit)
        return false;
    }
    if (fi === fl && pi === pl) {
      return true;
    } else if (fi === fl) {
      return partial;
    } else if (pi === pl) {
      return fi === fl - 1 && file2[fi] === "";
    } else {
      throw new Error("wtf?");
    }
  }
  braceExpand() {
    return braceExpand(this.pattern, this.options);
  }
  parse(pattern) {
    assertValidPattern(pattern);
    const options = this.options;
    if (pattern === "**")
      return GLOBSTAR;
    if (pattern === "")
      return "";
    let m;
    let fastTest = null;
    if (m = pattern.match(starRE)) {
      fastTest = options.dot ? starTestDot : starTest;
    } else if (m = pattern.match(starDotExtRE)) {
      fastTest = (options.nocase ? options.dot ? starDotExtTestNocaseDot : starDotExtTestNocase : options.dot ? starDotExtTestDot : starDotExtTest)(m[1]);
    } else if (m = pattern.match(qmarksRE)) {
      fastTest = (options.nocase ? options.dot ? qmarksTestNocaseDot : qmarksTestNocase : options.dot ? qmarksTestDot : qmarksTest)(m);
    } else if (m = pattern.match(starDotStarRE)) {
      fastTest = options.dot ? starDotStarTestDot : starDotStarTest;
    } else if (m = pattern.match(dotStarRE)) {
      fastTest = dotStarTest;
    }
    const re = AST.fromGlob(pattern, this.options).toMMPattern();
    if (fastTest && typeof re === "object") {
      Reflect.defineProperty(re, "test", { value: fastTest });
    }
    return re;
  }
  makeRe() {
    if (this.regexp || this.regexp === false)
      return this.regexp;
    const set = this.set;
    if (!set.length) {
      this.regexp = false;
      return this.regexp;
    }
    const options = this.options;
    const twoStar = options.noglobstar ? star2 : options.dot ? twoStarDot : twoStarNoDot;
    const flags = new Set(options.nocase ? ["i"] : []);
    let re = set.map((pattern) => {
      const pp = pattern.map((p) => {
        if (p instanceof RegExp) {
          for (const f of p.flags.split(""))
            flags.add(f);
        }
        return typeof p === "string" ? regExpEscape2(p) : p === GLOBSTAR ? GLOBSTAR : p._src;
      });
      pp.forEach((p, i) => {
        const next = pp[i + 1];
        const prev = pp[i - 1];
        if (p !== GLOBSTAR || prev === GLOBSTAR) {
          return;
        }
        if (prev === void 0) {
          if (next !== void 0 && next !== GLOBSTAR) {
            pp[i + 1] = "(?:\\/|" + twoStar + "\\/)?" + next;
          } else {
            pp[i] = twoStar;
          }
        } else if (next === void 0) {
          pp[i - 1] = prev + "(?:\\/|\\/" + twoStar + ")?";
        } else if (next !== GLOBSTAR) {
          pp[i - 1] = prev + "(?:\\/|\\/" + twoStar + "\\/)" + next;
          pp[i + 1] = GLOBSTAR;
        }
      });
      const filtered = pp.filter((p) => p !== GLOBSTAR);
      if (this.partial && filtered.length >= 1) {
        const prefixes = [];
        for (let i = 1; i <= filtered.length; i++) {
          prefixes.push(filtered.slice(0, i).join("/"));
        }
        return "(?:" + prefixes.join("|") + ")";
      }
      return filtered.join("/");
    }).join("|");
    const [open2, close] = set.length > 1 ? ["(?:", ")"] : ["", ""];
    re = "^" + open2 + re + close + "$";
    if (this.partial) {
      re = "^(?:\\/|" + open2 + re.slice(1, -1) + close + ")$";
    }
    if (this.negate)
      re = "^(?!" + re + ").+$";
    try {
      this.regexp = new RegExp(re, [...flags].join(""));
    } catch {
      this.regexp = false;
    }
    return this.regexp;
  }
  slashSplit(p) {
    if (this.preserveMultipleSlashes) {
      return p.split("/");
    } else if (this.isWindows && /^\/\/[^/]+/.test(p)) {
      return ["", ...p.split(/\/+/)];
    } else {
      return p.split(/\/+/);
    }
  }
  match(f, partial = this.partial) {
    this.debug("match", f, this.pattern);
    if (this.comment) {
      return false;
    }
    if (this.empty) {
      return f === "";
    }
    if (f === "/" && partial) {
      return true;
    }
    const options = this.options;
    if (this.isWindows) {
      f = f.split("\\").join("/");
    }
    const ff = this.slashSplit(f);
    this.debug(this.pattern, "split", ff);
    const set = this.set;
    this.debug(this.pattern, "set", set);
    let filename = ff[ff.length - 1];
    if (!filename) {
      for (let i = ff.length - 2; !filename && i >= 0; i--) {
        filename = ff[i];
      }
    }
    for (const pattern of set) {
      let file2 = ff;
      if (options.matchBase && pattern.length === 1) {
        file2 = [filename];
      }
      const hit = this.matchOne(file2, pattern, partial);
      if (hit) {
        if (options.flipNegate) {
          return true;
        }
        return !this.negate;
      }
    }
    if (options.flipNegate) {
      return false;
    }
    return this.negate;
  }
  static defaults(def) {
    return minimatch.defaults(def).Minimatch;
  }
};
minimatch.AST = AST;
minimatch.Minimatch = Minimatch;
minimatch.escape = escape;
minimatch.unescape = unescape;

// node_modules/@actions/glob/lib/internal-path.js
import * as path31 from "path";
import assert3 from "assert";
var IS_WINDOWS5 = process.platform === "win32";
var Path = class {
  /**
   * Constructs a Path
   * @param itemPath Path or array of segments
   */
  constructor(itemPath) {
    this.segments = [];
    if (typeof itemPath === "string") {
      assert3(itemPath, `Parameter 'itemPath' must not be empty`);
      itemPath = safeTrimTrailingSeparator(itemPath);
      if (!hasRoot(itemPath)) {
        this.segments = itemPath.split(path31.sep);
      } else {
        let remaining = itemPath;
        let dir = dirname2(remaining);
        while (dir !== remaining) {
          const basename3 = path31.basename(remaining);
          this.segments.unshift(basename3);
          remaining = dir;
          dir = dirname2(remaining);
        }
        this.segments.unshift(remaining);
      }
    } else {
      assert3(itemPath.length > 0, `Parameter 'itemPath' must not be an empty array`);
      for (let i = 0; i < itemPath.length; i++) {
        let segment = itemPath[i];
        assert3(segment, `Parameter 'itemPath' must not contain any empty segments`);
        segment = normalizeSeparators(itemPath[i]);
        if (i === 0 && hasRoot(segment)) {
          segment = safeTrimTrailingSeparator(segment);
          assert3(segment === dirname2(segment), `Parameter 'itemPath' root segment contains information for multiple segments`);
          this.segments.push(segment);
        } else {
          assert3(!segment.includes(path31.sep), `Parameter 'itemPath' contains unexpected path separators`);
          this.segments.push(segment);
        }
      }
    }
  }
  /**
   * Converts the path to it's string representation
   */
  toString() {
    let result = this.segments[0];
    let skipSlash = result.endsWith(path31.sep) || IS_WINDOWS5 && /^[A-Z]:$/i.test(result);
    for (let i = 1; i < this.segments.length; i++) {
      if (skipSlash) {
        skipSlash = false;
      } else {
        result += path31.sep;
      }
      result += this.segments[i];
    }
    return result;
  }
};

// node_modules/@actions/glob/lib/internal-pattern.js
var IS_WINDOWS6 = process.platform === "win32";
var Pattern = class _Pattern {
  constructor(patternOrNegate, isImplicitPattern = false, segments, homedir2) {
    this.negate = false;
    let pattern;
    if (typeof patternOrNegate === "string") {
      pattern = patternOrNegate.trim();
    } else {
      segments = segments || [];
      assert4(segments.length, `Parameter 'segments' must not empty`);
      const root = _Pattern.getLiteral(segments[0]);
      assert4(root && hasAbsoluteRoot(root), `Parameter 'segments' first element must be a root path`);
      pattern = new Path(segments).toString().trim();
      if (patternOrNegate) {
        pattern = `!${pattern}`;
      }
    }
    while (pattern.startsWith("!")) {
      this.negate = !this.negate;
      pattern = pattern.substr(1).trim();
    }
    pattern = _Pattern.fixupPattern(pattern, homedir2);
    this.segments = new Path(pattern).segments;
    this.trailingSeparator = normalizeSeparators(pattern).endsWith(path32.sep);
    pattern = safeTrimTrailingSeparator(pattern);
    let foundGlob = false;
    const searchSegments = this.segments.map((x) => _Pattern.getLiteral(x)).filter((x) => !foundGlob && !(foundGlob = x === ""));
    this.searchPath = new Path(searchSegments).toString();
    this.rootRegExp = new RegExp(_Pattern.regExpEscape(searchSegments[0]), IS_WINDOWS6 ? "i" : "");
    this.isImplicitPattern = isImplicitPattern;
    const minimatchOptions = {
      dot: true,
      nobrace: true,
      nocase: IS_WINDOWS6,
      nocomment: true,
      noext: true,
      nonegate: true
    };
    pattern = IS_WINDOWS6 ? pattern.replace(/\\/g, "/") : pattern;
    this.minimatch = new Minimatch(pattern, minimatchOptions);
  }
  /**
   * Matches the pattern against the specified path
   */
  match(itemPath) {
    if (this.segments[this.segments.length - 1] === "**") {
      itemPath = normalizeSeparators(itemPath);
      if (!itemPath.endsWith(path32.sep) && this.isImplicitPattern === false) {
        itemPath = `${itemPath}${path32.sep}`;
      }
    } else {
      itemPath = safeTrimTrailingSeparator(itemPath);
    }
    if (this.minimatch.match(itemPath)) {
      return this.trailingSeparator ? MatchKind.Directory : MatchKind.All;
    }
    return MatchKind.None;
  }
  /**
   * Indicates whether the pattern may match descendants of the specified path
   */
  partialMatch(itemPath) {
    itemPath = safeTrimTrailingSeparator(itemPath);
    if (dirname2(itemPath) === itemPath) {
      return this.rootRegExp.test(itemPath);
    }
    return this.minimatch.matchOne(itemPath.split(IS_WINDOWS6 ? /\\+/ : /\/+/), this.minimatch.set[0], true);
  }
  /**
   * Escapes glob patterns within a path
   */
  static globEscape(s) {
    return (IS_WINDOWS6 ? s : s.replace(/\\/g, "\\\\")).replace(/(\[)(?=[^/]+\])/g, "[[]").replace(/\?/g, "[?]").replace(/\*/g, "[*]");
  }
  /**
   * Normalizes slashes and ensures absolute root
   */
  static fixupPattern(pattern, homedir2) {
    assert4(pattern, "pattern cannot be empty");
    const literalSegments = new Path(pattern).segments.map((x) => _Pattern.getLiteral(x));
    assert4(literalSegments.every((x, i) => (x !== "." || i === 0) && x !== ".."), `Invalid pattern '${pattern}'. Relative pathing '.' and '..' is not allowed.`);
    assert4(!hasRoot(pattern) || literalSegments[0], `Invalid pattern '${pattern}'. Root segment must not contain globs.`);
    pattern = normalizeSeparators(pattern);
    if (pattern === "." || pattern.startsWith(`.${path32.sep}`)) {
      pattern = _Pattern.globEscape(process.cwd()) + pattern.substr(1);
    } else if (pattern === "~" || pattern.startsWith(`~${path32.sep}`)) {
      homedir2 = homedir2 || os13.homedir();
      assert4(homedir2, "Unable to determine HOME directory");
      assert4(hasAbsoluteRoot(homedir2), `Expected HOME directory to be a rooted path. Actual '${homedir2}'`);
      pattern = _Pattern.globEscape(homedir2) + pattern.substr(1);
    } else if (IS_WINDOWS6 && (pattern.match(/^[A-Z]:$/i) || pattern.match(/^[A-Z]:[^\\]/i))) {
      let root = ensureAbsoluteRoot("C:\\dummy-root", pattern.substr(0, 2));
      if (pattern.length > 2 && !root.endsWith("\\")) {
        root += "\\";
      }
      pattern = _Pattern.globEscape(root) + pattern.substr(2);
    } else if (IS_WINDOWS6 && (pattern === "\\" || pattern.match(/^\\[^\\]/))) {
      let root = ensureAbsoluteRoot("C:\\dummy-root", "\\");
      if (!root.endsWith("\\")) {
        root += "\\";
      }
      pattern = _Pattern.globEscape(root) + pattern.substr(1);
    } else {
      pattern = ensureAbsoluteRoot(_Pattern.globEscape(process.cwd()), pattern);
    }
    return normalizeSeparators(pattern);
  }
  /**
   * Attempts to unescape a pattern segment to create a literal path segment.
   * Otherwise returns empty string.
   */
  static getLiteral(segment) {
    let literal = "";
    for (let i = 0; i < segment.length; i++) {
      const c = segment[i];
      if (c === "\\" && !IS_WINDOWS6 && i + 1 < segment.length) {
        literal += segment[++i];
        continue;
      } else if (c === "*" || c === "?") {
        return "";
      } else if (c === "[" && i + 1 < segment.length) {
        let set = "";
        let closed = -1;
        for (let i2 = i + 1; i2 < segment.length; i2++) {
          const c2 = segment[i2];
          if (c2 === "\\" && !IS_WINDOWS6 && i2 + 1 < segment.length) {
            set += segment[++i2];
            continue;
          } else if (c2 === "]") {
            closed = i2;
            break;
          } else {
            set += c2;
          }
        }
        if (closed >= 0) {
          if (set.length > 1) {
            return "";
          }
          if (set) {
            literal += set;
            i = closed;
            continue;
          }
        }
      }
      literal += c;
    }
    return literal;
  }
  /**
   * Escapes regexp special characters
   * https://javascript.info/regexp-escaping
   */
  static regExpEscape(s) {
    return s.replace(/[[\\^$.|?*+()]/g, "\\$&");
  }
};

// node_modules/@actions/glob/lib/internal-search-state.js
var SearchState = class {
  constructor(path34, level) {
    this.path = path34;
    this.level = level;
  }
};

// node_modules/@actions/glob/lib/internal-globber.js
var __awaiter3 = function(thisArg, _arguments, P, generator) {
  function adopt2(value) {
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
      result.done ? resolve(result.value) : adopt2(result.value).then(fulfilled, rejected);
    }
    step((generator = generator.apply(thisArg, _arguments || [])).next());
  });
};
var __asyncValues = function(o) {
  if (!Symbol.asyncIterator) throw new TypeError("Symbol.asyncIterator is not defined.");
  var m = o[Symbol.asyncIterator], i;
  return m ? m.call(o) : (o = typeof __values === "function" ? __values(o) : o[Symbol.iterator](), i = {}, verb("next"), verb("throw"), verb("return"), i[Symbol.asyncIterator] = function() {
    return this;
  }, i);
  function verb(n) {
    i[n] = o[n] && function(v) {
      return new Promise(function(resolve, reject) {
        v = o[n](v), settle(resolve, reject, v.done, v.value);
      });
    };
  }
  function settle(resolve, reject, d, v) {
    Promise.resolve(v).then(function(v2) {
      resolve({ value: v2, done: d });
    }, reject);
  }
};
var __await = function(v) {
  return this instanceof __await ? (this.v = v, this) : new __await(v);
};
var __asyncGenerator = function(thisArg, _arguments, generator) {
  if (!Symbol.asyncIterator) throw new TypeError("Symbol.asyncIterator is not defined.");
  var g = generator.apply(thisArg, _arguments || []), i, q = [];
  return i = Object.create((typeof AsyncIterator === "function" ? AsyncIterator : Object).prototype), verb("next"), verb("throw"), verb("return", awaitReturn), i[Symbol.asyncIterator] = function() {
    return this;
  }, i;
  function awaitReturn(f) {
    return function(v) {
      return Promise.resolve(v).then(f, reject);
    };
  }
  function verb(n, f) {
    if (g[n]) {
      i[n] = function(v) {
        return new Promise(function(a, b) {
          q.push([n, v, a, b]) > 1 || resume2(n, v);
        });
      };
      if (f) i[n] = f(i[n]);
    }
  }
  function resume2(n, v) {
    try {
      step(g[n](v));
    } catch (e) {
      settle(q[0][3], e);
    }
  }
  function step(r) {
    r.value instanceof __await ? Promise.resolve(r.value.v).then(fulfill, reject) : settle(q[0][2], r);
  }
  function fulfill(value) {
    resume2("next", value);
  }
  function reject(value) {
    resume2("throw", value);
  }
  function settle(f, v) {
    if (f(v), q.shift(), q.length) resume2(q[0][0], q[0][1]);
  }
};
var IS_WINDOWS7 = process.platform === "win32";
var DefaultGlobber = class _DefaultGlobber {
  constructor(options) {
    this.patterns = [];
    this.searchPaths = [];
    this.options = getOptions(options);
  }
  getSearchPaths() {
    return this.searchPaths.slice();
  }
  glob() {
    return __awaiter3(this, void 0, void 0, function* () {
      var _a2, e_1, _b, _c;
      const result = [];
      try {
        for (var _d = true, _e = __asyncValues(this.globGenerator()), _f; _f = yield _e.next(), _a2 = _f.done, !_a2; _d = true) {
          _c = _f.value;
          _d = false;
          const itemPath = _c;
          result.push(itemPath);
        }
      } catch (e_1_1) {
        e_1 = { error: e_1_1 };
      } finally {
        try {
          if (!_d && !_a2 && (_b = _e.return)) yield _b.call(_e);
        } finally {
          if (e_1) throw e_1.error;
        }
      }
      return result;
    });
  }
  globGenerator() {
    return __asyncGenerator(this, arguments, function* globGenerator_1() {
      const options = getOptions(this.options);
      const patterns = [];
      for (const pattern of this.patterns) {
        patterns.push(pattern);
        if (options.implicitDescendants && (pattern.trailingSeparator || pattern.segments[pattern.segments.length - 1] !== "**")) {
          patterns.push(new Pattern(pattern.negate, true, pattern.segments.concat("**")));
        }
      }
      const stack = [];
      for (const searchPath of getSearchPaths(patterns)) {
        debug(`Search path '${searchPath}'`);
        try {
          yield __await(fs10.promises.lstat(searchPath));
        } catch (err) {
          if (err.code === "ENOENT") {
            continue;
          }
          throw err;
        }
        stack.unshift(new SearchState(searchPath, 1));
      }
      const traversalChain = [];
      while (stack.length) {
        const item = stack.pop();
        const match4 = match2(patterns, item.path);
        const partialMatch2 = !!match4 || partialMatch(patterns, item.path);
        if (!match4 && !partialMatch2) {
          continue;
        }
        const stats = yield __await(
          _DefaultGlobber.stat(item, options, traversalChain)
          // Broken symlink, or symlink cycle detected, or no longer exists
        );
        if (!stats) {
          continue;
        }
        if (options.excludeHiddenFiles && path33.basename(item.path).match(/^\./)) {
          continue;
        }
        if (stats.isDirectory()) {
          if (match4 & MatchKind.Directory && options.matchDirectories) {
            yield yield __await(item.path);
          } else if (!partialMatch2) {
            continue;
          }
          const childLevel = item.level + 1;
          const childItems = (yield __await(fs10.promises.readdir(item.path))).map((x) => new SearchState(path33.join(item.path, x), childLevel));
          stack.push(...childItems.reverse());
        } else if (match4 & MatchKind.File) {
          yield yield __await(item.path);
        }
      }
    });
  }
  /**
   * Constructs a DefaultGlobber
   */
  static create(patterns, options) {
    return __awaiter3(this, void 0, void 0, function* () {
      const result = new _DefaultGlobber(options);
      if (IS_WINDOWS7) {
        patterns = patterns.replace(/\r\n/g, "\n");
        patterns = patterns.replace(/\r/g, "\n");
      }
      const lines = patterns.split("\n").map((x) => x.trim());
      for (const line of lines) {
        if (!line || line.startsWith("#")) {
          continue;
        } else {
          result.patterns.push(new Pattern(line));
        }
      }
      result.searchPaths.push(...getSearchPaths(result.patterns));
      return result;
    });
  }
  static stat(item, options, traversalChain) {
    return __awaiter3(this, void 0, void 0, function* () {
      let stats;
      if (options.followSymbolicLinks) {
        try {
          stats = yield fs10.promises.stat(item.path);
        } catch (err) {
          if (err.code === "ENOENT") {
            if (options.omitBrokenSymbolicLinks) {
              debug(`Broken symlink '${item.path}'`);
              return void 0;
            }
            throw new Error(`No information found for the path '${item.path}'. This may indicate a broken symbolic link.`);
          }
          throw err;
        }
      } else {
        stats = yield fs10.promises.lstat(item.path);
      }
      if (stats.isDirectory() && options.followSymbolicLinks) {
        const realPath = yield fs10.promises.realpath(item.path);
        while (traversalChain.length >= item.level) {
          traversalChain.pop();
        }
        if (traversalChain.some((x) => x === realPath)) {
          debug(`Symlink cycle detected for path '${item.path}' and realpath '${realPath}'`);
          return void 0;
        }
        traversalChain.push(realPath);
      }
      return stats;
    });
  }
};

// node_modules/@actions/glob/lib/glob.js
var __awaiter4 = function(thisArg, _arguments, P, generator) {
  function adopt2(value) {
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
      result.done ? resolve(result.value) : adopt2(result.value).then(fulfilled, rejected);
    }
    step((generator = generator.apply(thisArg, _arguments || [])).next());
  });
};
function create(patterns, options) {
  return __awaiter4(this, void 0, void 0, function* () {
    return yield DefaultGlobber.create(patterns, options);
  });
}

// src/action/glob.ts
var globFiles = async (patterns) => (await create(patterns.join("\n"), { matchDirectories: false })).glob();

// src/action/outputs.ts
import { appendFile as appendFile2 } from "node:fs/promises";

// src/report/markdown.ts
var asIs = (text) => text;
var MARKUP = /[\\`*[\]<>&~]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;
var BLOCK_START = /^[#+\-=]/;
var MODULE_AT_VERSION = /[^\s`@]+@v\d[^\s,;()]*(?<![.:])/gu;
function withModules(text, words, module) {
  const flat = text.replace(/\s*[\r\n]+\s*/g, " ");
  let out = "";
  let at = 0;
  for (const match4 of flat.matchAll(MODULE_AT_VERSION)) {
    out += words(flat.slice(at, match4.index), at === 0) + module(match4[0]);
    at = match4.index + match4[0].length;
  }
  return out + words(flat.slice(at), at === 0);
}
function plain(text) {
  return withModules(text, escaped3, codeSpan);
}
var escaped3 = (text, atStart) => {
  const inline = text.replace(MARKUP, "\\$&");
  return atStart ? inline.replace(BLOCK_START, "\\$&") : inline;
};
function codeSpan(text) {
  const flat = text.replace(/[\r\n]+/g, " ");
  if (flat.trim() === "") return plain("\u2014");
  const fence = "`".repeat(Math.max(0, ...(flat.match(/`+/g) ?? []).map((run2) => run2.length)) + 1);
  const pad = /^[` ]|[` ]$/.test(flat) ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}
function markdown(text, redact = asIs) {
  return (Array.isArray(text) ? text : [text]).map((part) => typeof part === "string" ? plain(redact(part)) : codeSpan(redact(part.quoted))).join("");
}
function fenced(text) {
  const fence = "`".repeat(Math.max(2, ...(text.match(/`+/g) ?? []).map((run2) => run2.length)) + 1);
  return `${fence}text
${text}
${fence}`;
}
function table(header, rows, redact = asIs) {
  const cell = (text) => markdown(text, redact).replace(/(\\*)\|/g, (_, run2) => `${run2}${run2.length % 2 === 1 ? "\\" : ""}\\|`);
  return [header.map(cell), header.map(() => "---"), ...rows.map((r) => r.map(cell))].map((r) => `| ${r.join(" | ")} |`).join("\n");
}
var HTML_SPECIAL = /[&<>"']/g;
var ENTITY = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
var entities = (text) => text.replace(/\s*[\r\n]+\s*/g, " ").replace(HTML_SPECIAL, (c) => ENTITY[c]);
var code = (text) => `<code>${entities(text)}</code>`;
function html(text, redact = asIs) {
  return (Array.isArray(text) ? text : [text]).map((part) => {
    if (typeof part !== "string") return code(redact(part.quoted));
    return withModules(redact(part), entities, code);
  }).join("");
}
function details(summary2, body, redact = asIs) {
  return [`<details><summary>${html(summary2, redact)}</summary>`, ...body, "</details>"].join("\n\n");
}

// src/report/job-summary.ts
function renderSummary(model, redact = (t) => t) {
  const parts = [`### ${markdown(model.title, redact)}`];
  if (model.failure) parts.push(fenced(redact(model.failure)));
  for (const section of model.sections) {
    const body = sectionBody(section, redact);
    if (section.open || section.summary === void 0) parts.push(`#### ${section.heading}`, ...body);
    else parts.push(details([`${section.heading}: `, ...[section.summary].flat()], body, redact));
  }
  return parts.join("\n\n") + "\n";
}
function sectionBody(section, redact) {
  const body = section.rows.length > 0 ? [table(section.header, section.rows, redact)] : [];
  for (const note of section.notes ?? []) body.push(`> ${markdown(note, redact)}`);
  return body.length > 0 ? body : ["_None._"];
}

// src/report/outputs.ts
function stepOutputs(facts, mask) {
  return {
    proxy: mask(facts.chosen ?? ""),
    goproxy: mask(facts.exported ?? ""),
    "cache-hit": String(facts.restore.state === "exact"),
    "cache-key": facts.cacheKey ?? "",
    "build-cache-hit": String(facts.buildCache?.hit ?? false),
    attempts: String(facts.attempts.length),
    "direct-modules": mask((facts.direct ?? []).map((d) => `${d.module}@${d.version}`).join("\n")),
    "direct-count": String(facts.direct?.length ?? 0)
  };
}

// src/report/model.ts
var quoted = (text) => ({ quoted: text });

// src/report/story.ts
var MOVED_NAMED = 3;
var PROBE_WORDS = { unhealthy: "unhealthy at the probe", slow: "too slow at the probe" };
var proxiedZips = (facts) => facts.attempts.reduce((n, a) => n + a.zips, (facts.fetch?.zips ?? 0) + (facts.fromFiles ?? 0));
function headline(facts) {
  const time2 = facts.durationMs === void 0 ? "" : ` in ${formatDuration(facts.durationMs)}`;
  if (!facts.ok) {
    const n = facts.attempts.length;
    return `\u274C Go modules could not be downloaded${n > 0 ? ` after ${counted(n, "attempt")}` : ""}${time2}`;
  }
  const data = [facts.fetch && facts.fetch.bytes > 0 ? `${formatSize(facts.fetch.bytes)} fetched` : "", facts.restore.bytes ? `${formatSize(facts.restore.bytes)} from the cache` : ""].filter(Boolean);
  const moved = movedBehind(facts);
  const named2 = moved.slice(0, MOVED_NAMED).map((m) => `${m.display} (${m.why})`);
  if (moved.length > MOVED_NAMED) named2.push(`${moved.length - MOVED_NAMED} more`);
  const story = `\u2705 Go modules ready: ${downloadedWords(proxiedZips(facts), facts.direct ?? [], facts.chosen)}${time2}${data.map((d) => `, ${d}`).join("")}`;
  return named2.length > 0 ? `${story}; moved behind: ${named2.join(", ")}` : story;
}
function downloadedWords(proxied, direct, chosen) {
  const through2 = chosen && chosen !== "direct" ? ` through ${chosen}` : "";
  if (direct.length === 0) return `${proxied} downloaded${through2}`;
  const why = `direct (${[...new Set(direct.map((d) => REASON_NAMES[d.why]))].join(", ")})`;
  if (proxied === 0) return `${direct.length} downloaded ${why}`;
  return `${proxied + direct.length} downloaded: ${proxied}${through2 || " through the proxies"}, ${direct.length} ${why}`;
}
var REASON_NAMES = { GOPRIVATE: "GOPRIVATE", GONOPROXY: "GONOPROXY", direct: "direct in GOPROXY" };
function movedBehind(facts) {
  return facts.probes.flatMap((p) => {
    const display = p.candidate.display;
    if (display === facts.chosen) return [];
    const why = p.verdict === "unhealthy" || p.verdict === "slow" ? PROBE_WORDS[p.verdict] : fetchMoved(facts, display) ?? failedAttempt(facts, display);
    return why ? [{ display, why }] : [];
  });
}
function fetchMoved(facts, display) {
  const moved = facts.fetch?.candidates.find((c) => c.candidate.display === display)?.moved;
  return moved?.replace(/; moved behind$/, "");
}
function failedAttempt(facts, display) {
  const failed = facts.attempts.find((a) => a.first === display && a.reason !== "ok");
  return failed ? `attempt ${failed.number} ended in ${failed.reason}` : void 0;
}
function firstInLineNotes(facts) {
  const chosen = facts.chosen;
  if (!facts.ok || !chosen) return [];
  const candidates = new Set(facts.probes.map((p) => p.candidate.display));
  return facts.attempts.filter((a) => a.first !== chosen && candidates.has(a.first)).map((a) => {
    const first = `Attempt ${a.number}'s first in line, ${a.first}, is not the proxy that served`;
    if (a.reason !== "ok") return `${first}: go gave up on that attempt (${a.reason}), and the next one started with the candidate behind it.`;
    const moved = fetchMoved(facts, a.first);
    if (moved) return `${first}: during the fetch it ${moved}, so it was moved behind and ${chosen} served what go asked for.`;
    return `${first}: it served none of what go asked for, and ${chosen} did.`;
  });
}

// src/report/summary.ts
var VERDICT = { healthy: "\u2705 healthy", unhealthy: "\u274C unhealthy", slow: "\u{1F422} too slow", "not probed": "\u2796 not probed" };
var RESTORE_WORDS = {
  exact: "\u2705 hit",
  partial: "\u{1F7E1} partial (restored by prefix)",
  miss: "miss",
  disabled: "off",
  unavailable: "no cache service",
  policy: "\u{1F512} not read, by policy",
  failed: "\u26A0\uFE0F restore failed",
  "timed-out": "\u26A0\uFE0F restore timed out"
};
var time = (ms) => ms === void 0 ? "" : formatDuration(ms);
var joined2 = (...parts) => parts.filter(Boolean).join(", ");
function buildSummary(facts, { runner = true } = {}) {
  const proxied = proxiedZips(facts);
  const direct = facts.direct ?? [];
  const modules = proxied + direct.length;
  const firstInLine = firstInLineNotes(facts);
  const sections = [
    {
      heading: "Proxies",
      open: true,
      header: ["Candidate", "Verdict", "Latency", "Reason"],
      rows: facts.probes.map((p) => [p.candidate.display, VERDICT[p.verdict], time(p.latencyMs), p.via ? [probeReason(p), `, through ${p.via}`] : probeReason(p)]),
      notes: [...facts.probeNote === void 0 ? [] : [facts.probeNote], ...facts.sumdb ? [describeSumdb(facts.sumdb, facts.fetch !== void 0)] : [], ...runnerNotes(facts)]
    },
    {
      heading: "Result",
      summary: joined2(`${counted(modules, "module")} in ${counted(facts.attempts.length, "attempt")}`, runner && facts.exported ? "GOPROXY exported for later steps" : ""),
      header: ["Chosen proxy", ...runner ? ["Exported GOPROXY"] : [], "Modules downloaded", "Attempts"],
      rows: [[facts.chosen ?? "\u2014", ...runner ? [facts.exported ?? "\u2014"] : [], direct.length > 0 ? `${modules} (${direct.length} direct)` : String(modules), String(facts.attempts.length)]],
      notes: runner && facts.laterSteps ? [facts.laterSteps] : []
    },
    ...direct.length > 0 ? [directSection(direct)] : [],
    ...facts.fetch ? fetchSections(facts.fetch) : [],
    ...facts.toolchain ? [toolchainSection(facts.toolchain)] : [],
    {
      heading: "Attempts",
      summary: facts.attempts.length === 0 ? "none" : facts.attempts.map((a) => `${a.reason} in ${formatDuration(a.durationMs)}`).join(", then ") + (firstInLine.length > 0 ? "; a first in line was moved behind (why is under the table)" : ""),
      header: ["Attempt", "First in line", "Outcome", "Duration", "Why it ended"],
      rows: facts.attempts.map((a) => [
        String(a.number),
        a.first,
        a.reason === "ok" ? "\u2705 ok" : `\u274C ${a.reason}`,
        formatDuration(a.durationMs),
        a.detail ? quoted(a.detail) : "completed"
      ]),
      notes: firstInLine
    },
    ...runner ? [cacheSection(facts)] : facts.verify ? [checkSection(facts.verify)] : [],
    ...facts.buildCache ? [buildCacheSection(facts.buildCache, facts.buildCacheSave)] : []
  ];
  return { title: headline(facts), ...facts.failure === void 0 ? {} : { failure: facts.failure }, sections };
}
function cacheSection(facts) {
  const restore = restoreWords(facts.restore);
  const save = facts.save ? saveCell(facts.save) : void 0;
  return {
    heading: "Cache",
    summary: cacheSummary(facts, restore, save),
    header: ["Restore", "Checked against go.sum", "Key", "Restored key", "Save"],
    rows: [
      [
        joined2(restore, formatSize(facts.restore.bytes), time(facts.restore.durationMs)),
        facts.verify ? describeVerify(facts.verify) : "\u2014",
        facts.cacheKey ?? "",
        facts.restore.matchedKey ? quoted(facts.restore.matchedKey) : "\u2014",
        save ?? "\u2014"
      ]
    ],
    notes: [...facts.verify ? verifyNotes(facts.verify) : [], ...(facts.direct ?? []).length > 0 ? [CLONES_NOT_CACHED] : []]
  };
}
function checkSection(verify2) {
  return { heading: "Module cache", summary: describeVerify(verify2), header: ["Checked against go.sum"], rows: [[describeVerify(verify2)]], notes: verifyNotes(verify2) };
}
function cacheSummary(facts, restore, save) {
  if (facts.restore.state === "unavailable") return restore;
  if (facts.restore.state === "policy" && facts.save?.state === "policy") return `off by policy (${facts.restore.policy}): neither restored nor saved`;
  return save ? [`restore ${restore}; `, ...[save].flat()] : `restore ${restore}`;
}
var restoreWords = (r) => r.policy ? `${RESTORE_WORDS[r.state]} (${r.policy})` : RESTORE_WORDS[r.state];
var REASONS = {
  GOPRIVATE: "GOPRIVATE covers it: go asks no proxy for it",
  GONOPROXY: "GONOPROXY covers it: go asks no proxy for it",
  direct: "no proxy before direct in GOPROXY served it"
};
var CLONES_NOT_CACHED = "The zips go made from its clones are cached like any others and checked against go.sum when restored; the clones themselves (GOMODCACHE/cache/vcs) are never saved, whatever cache-contents says: go needs only the zips, and a clone from a cache entry could carry git configuration or hooks that run when go runs git in it.";
function directSection(direct) {
  return {
    heading: "Fetched direct",
    summary: `${counted(direct.length, "module")} (${[...new Set(direct.map((d) => REASON_NAMES[d.why]))].join(", ")})`,
    header: ["Module", "Version", "Why"],
    rows: direct.map((d) => [quoted(d.module), quoted(d.version), REASONS[d.why]]),
    notes: ["go fetched these from their repositories itself (git, under the same watchdog), never through a proxy or the action."]
  };
}
function runnerNotes(facts) {
  return facts.probes.filter((p) => goMayNotShare(p.failure)).map(
    (p) => p.failure === "tls" ? [`\u26A0\uFE0F ${p.candidate.display} failed on TLS: `, probeReason(p), `. The action trusts what go trusts on this runner (${(facts.trust ?? []).join(", ") || "no certificates found"}); add your CA there (SSL_CERT_FILE, SSL_CERT_DIR or the system store).`] : [`\u26A0\uFE0F ${p.candidate.display} failed at the forward proxy: `, probeReason(p), `. The action routes requests as go does (HTTP_PROXY, HTTPS_PROXY, NO_PROXY); fix the runner's proxy settings, or exempt the host in NO_PROXY.`]
  );
}
var probeReason = (p) => p.verdict === "unhealthy" ? quoted(p.reason) : p.reason;
function toolchainSection(t) {
  return {
    heading: "Toolchain",
    summary: `${t.wanted}, from ${t.source === "tool cache" ? "the runner\u2019s tool cache" : "the chain"}`,
    header: ["Wanted", "Installed", "Source", "Time"],
    rows: [[t.wanted, t.installed, t.source === "tool cache" ? "the runner\u2019s tool cache" : "fetched through the chain, now in the tool cache", formatDuration(t.durationMs)]],
    notes: [`go.mod asks for ${t.wanted}: go finds it on PATH under that name, in this step and later ones, and fetches nothing.`]
  };
}
function buildCacheSection(b, save) {
  const restore = b.hit ? "\u2705 hit" : restoreWords(b);
  return {
    heading: "Build cache",
    summary: `restore ${restore}; save ${save ?? "\u2014"}`,
    header: ["Restore", "Restored key", "Save"],
    rows: [[joined2(restore, formatSize(b.bytes), time(b.durationMs)), b.matchedKey ? quoted(b.matchedKey) : "\u2014", save ?? "\u2014"]],
    notes: b.warning ? [quoted(b.warning)] : []
  };
}
function saveCell(save) {
  const figures = joined2(formatSize(save.bytes), time(save.durationMs));
  if (save.state !== "failed") return joined2(save.why, figures);
  return figures ? [quoted(save.why), `, ${figures}`] : quoted(save.why);
}
function verifyNotes(v) {
  return [
    ...v.discarded.map((d) => ["\u26A0\uFE0F discarded: ", quoted(d.module), " ", quoted(d.version), `, ${d.why}; fetched again.`]),
    ...v.repaired > 0 ? [`.ziphash rewritten for ${counted(v.repaired, "zip")} that matched go.sum (it was missing or wrong).`] : []
  ];
}
function fetchSections(f) {
  const totals = {
    heading: "Fetch",
    summary: `${f.files} of ${f.planned} files, ${formatSize(f.bytes)} in ${formatDuration(f.durationMs)}; ${f.hedges} hedges, ${f.rejected} rejected`,
    header: ["Files", "Zips", "Data", "Time", "go's requests (served)", "Retries", "Hedges", "Rejected (wrong bytes)", "Peak in flight"],
    rows: [
      [
        `${f.files} of ${f.planned} planned`,
        `${f.plannedZips} (go.sum has ${f.sumLines} lines)`,
        formatSize(f.bytes),
        formatDuration(f.durationMs),
        `${f.requests} (${f.served})`,
        String(f.retries),
        String(f.hedges),
        String(f.rejected),
        String(f.peakLimit)
      ]
    ],
    notes: [
      ...f.extracted > 0 ? [`${f.extracted === 1 ? "One" : f.extracted} of the zips ${f.extracted === 1 ? "was" : "were"} extracted as ${f.extracted === 1 ? "it was" : "they were"} verified, so go did not extract ${f.extracted === 1 ? "it" : "them"} again.`] : [],
      ...f.stopped ? [`The speculative fetch stopped early: ${f.stopped}; go fetched the rest.`] : [],
      ...f.unresolved ? [`${f.unresolved} go.mod files could not be read for the plan; go fetched around them itself.`] : []
    ]
  };
  const moved = f.candidates.filter((c) => c.moved).map((c) => c.candidate.display);
  const perCandidate = {
    heading: "Fetch, by candidate",
    summary: moved.length === 0 ? "none moved behind" : `moved behind: ${moved.join(", ")}`,
    header: ["Candidate", "Requests", "Data", "Served", "Failures", "Stalls", "Hedges won / lost", "Wrong bytes", "Moved"],
    rows: f.candidates.map(({ candidate, stats: s, moved: moved2 }) => [
      candidate.display,
      String(s.requests),
      formatSize(s.bytes),
      String(s.served),
      String(s.failures),
      String(s.stalls),
      `${s.hedgesWon} / ${s.hedgesLost}`,
      String(s.rejected),
      moved2 ?? "\u2014"
    ])
  };
  return [totals, perCandidate];
}

// src/report/step.ts
function reportOutputs(facts, secrets) {
  return stepOutputs(facts, (text) => maskSecrets(text, secrets));
}
function reportMarkdown(facts, secrets) {
  const mask = (text) => maskSecrets(text, secrets);
  return mask(renderSummary(buildSummary(facts), mask));
}

// src/action/outputs.ts
async function writeReport(facts, secrets) {
  for (const [name, value] of Object.entries(reportOutputs(facts, secrets))) setOutput(name, value);
  await writeSummary(reportMarkdown(facts, secrets));
}
async function writeSummary(markdown2) {
  const file2 = process.env.GITHUB_STEP_SUMMARY;
  if (file2) await appendFile2(file2, markdown2);
  else info(inert(markdown2));
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

// src/action/main.ts
async function runAction() {
  usePort(actionPort);
  const { facts, handOn, secrets } = await run({ read: (name) => getInput(name), workspace: process.env.GITHUB_WORKSPACE || process.cwd(), globFiles });
  for (const dir of handOn.paths) addPath(dir);
  for (const [name, value] of Object.entries(handOn.variables)) exportVariable(name, value);
  for (const [name, value] of Object.entries(handOn.postState)) saveState(name, value);
  if (!facts.ok) setFailed(facts.failure ?? "go mod download failed");
  await traced("summary", () => writeReport(facts, secrets));
}

// src/entries/index.ts
killTreesOnSignals();
await runAction();
process.exit(cancelExitCode() ?? process.exitCode ?? 0);
