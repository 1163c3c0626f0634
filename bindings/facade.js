// The JS side of the bindings, appended to the Emscripten module (--post-js) of both builds:
// Module.Engine, Module.Visitor and Module.hashBucket, with the same names, argument order,
// return types and errors the Embind classes had, over the plain C exports of exports.cpp.
// Strings cross through Wasm memory as UTF-8 (TextEncoder turns lone surrogates into
// U+FFFD); binary arguments (Uint8Array, ArrayBuffer) cross as their bytes.
//
// A spec string describes a function: its first letter the result, the rest the arguments.
//   s  string (a JS string, or bytes for a std::string argument)
//   m  Uint8Array view into Wasm memory (valid until the next call)
//   v  a Module.Visitor     b  boolean     n  number (double or uint32)
//   u  uint32 result        d  double result     x  no result
// Closure compiles this file with the module: everything JS sees is named with strings.

var attuneEncoder = new TextEncoder();
var attuneDecoder = new TextDecoder();

function attuneError(message) {
  var error = new Error(message);
  error.name = 'BindingError';
  return error;
}

function attuneRepr(value) {
  if (value === null) return 'null';
  var type = typeof value;
  return type === 'object' || type === 'function' ? value.toString() : '' + value;
}

// What a std::string argument accepts, as Embind did: a string, or bytes.
function attuneBytes(value) {
  if (typeof value === 'string') return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array || value instanceof Uint8ClampedArray || value instanceof Int8Array) {
    return value;
  }
  throw attuneError('Cannot pass non-string to std::string');
}

// The Wasm pointer behind a live instance of `type`, with Embind's messages otherwise.
function attunePointer(object, type, name) {
  if (object === null) throw attuneError('null is not a valid ' + name);
  if (!(object instanceof type)) {
    var other = object && object.constructor && object.constructor.attuneName;
    throw attuneError(other ? 'Expected null or instance of ' + type.attuneName + ', got an instance of ' + other
      : 'Cannot pass "' + attuneRepr(object) + '" as a ' + name);
  }
  if (!object.pointer) throw attuneError('Cannot pass deleted object as a pointer of type ' + name);
  return object.pointer;
}

// Calls the export `attune_<name>` as `spec` says; `self` is the instance pointer, or 0.
function attuneCall(name, spec, self, args, what) {
  var count = spec.length - 1;
  if (args.length !== count) {
    throw attuneError('function ' + what + ' called with ' + args.length + ' arguments, expected ' + count + ' args!');
  }
  var wasmArgs = self ? [self] : [];
  var values = [];
  var room = 0;
  var i, kind, value;
  for (i = 0; i < count; i++) {
    value = args[i];
    if (spec[i + 1] === 's') {
      value = attuneBytes(value);
      room += typeof value === 'string' ? value.length * 3 : value.length;  // UTF-8: <= 3 bytes a unit
    }
    values.push(value);
  }
  var at = room ? Module['_attune_scratch'](room) : 0;  // may grow memory: read HEAPU8 after
  for (i = 0; i < count; i++) {
    kind = spec[i + 1];
    value = values[i];
    if (kind === 's') {
      var size;
      if (typeof value === 'string') {
        size = attuneEncoder.encodeInto(value, HEAPU8.subarray(at, at + value.length * 3)).written;
      } else {
        HEAPU8.set(value, at);
        size = value.length;
      }
      wasmArgs.push(at, size);
      at += size;
    } else if (kind === 'v') {
      wasmArgs.push(attunePointer(value, Module['Visitor'], 'Visitor'));
    } else if (kind === 'b') {
      wasmArgs.push(value ? 1 : 0);
    } else {
      wasmArgs.push(value);
    }
  }
  var result = Module['_attune_' + name].apply(null, wasmArgs);
  kind = spec[0];
  if (kind === 's' || kind === 'm') {
    var bytes = HEAPU8.subarray(result, result + Module['_attune_result_size']());
    return kind === 's' ? attuneDecoder.decode(bytes) : bytes;
  }
  if (kind === 'b') return !!result;
  if (kind === 'u') return result >>> 0;
  if (kind === 'x') return undefined;
  return result;
}

// A class over a C++ object: `make` = [export, argument spec], methods = [[jsName, export,
// spec, const?], ...] (a const C++ method names its `this` "X const*" in errors, as Embind
// did). Instances own Wasm memory until delete(), as Embind objects did.
function attuneClass(name, make, methods) {
  var prefix = make[0].replace(/_new$/, '_');
  function Handle() {
    if (!(this instanceof Handle)) throw attuneError("Use 'new' to construct " + name);
    if (arguments.length !== make[1].length) {
      throw attuneError('Tried to invoke ctor of ' + name + ' with invalid number of parameters (' +
        arguments.length + ') - expected (' + make[1].length + ') parameters instead!');
    }
    this.pointer = attuneCall(make[0], 'u' + make[1], 0, arguments, name);
  }
  methods.forEach(function (method) {
    Handle.prototype[method[0]] = function () {
      return attuneCall(method[1], method[2], attunePointer(this, Handle, name + (method[3] ? ' const*' : '*')),
        arguments, name + '.' + method[0]);
    };
  });
  Handle.prototype['delete'] = function () {
    var pointer = this instanceof Handle && this.pointer;
    if (!pointer) throw attuneError(name + ' instance already deleted');
    this.pointer = 0;
    Module['_attune_' + prefix + 'delete'](pointer);
  };
  Handle.prototype['isDeleted'] = function () {
    return !this.pointer;
  };
  Handle.attuneName = name;
  Module[name] = Handle;
}

function attuneFunction(name, exportName, spec) {
  Module[name] = function () {
    return attuneCall(exportName, spec, 0, arguments, name);
  };
}

attuneClass('Visitor', ['visitor_new', ''], [
  ['id', 'visitor_id', 's', 1],
  ['setId', 'visitor_set_id', 'xs'],
  ['stateView', 'visitor_state', 'm'],
  ['loadState', 'visitor_load_state', 'ss'],
  ['cookieText', 'visitor_cookie_text', 'sn'],
  ['loadCookie', 'visitor_load_cookie', 'ss'],
  ['forget', 'visitor_forget', 'x'],
  ['consentRecordJson', 'visitor_consent_record', 's', 1],
]);

// Full build: new Engine(configJson); lean build: new Engine(compiledBytes).
attuneClass('Engine', ['engine_new', 's'], [
  ['ok', 'engine_ok', 'b', 1],
  ['errorsJson', 'engine_errors', 's', 1],
  ['decideJson', 'engine_decide', 'sssb'],
  ['decidePageJson', 'engine_decide_page', 'ssb'],
  ['inputView', 'engine_input', 'mn'],
  ['decidePageFromInput', 'engine_decide_page_from_input', 'unb'],
  ['outputView', 'engine_output', 'm', 1],
  ['setVisitorJson', 'engine_set_visitor', 'ss'],
  ['decideCurrentJson', 'engine_decide_current', 'ssb'],
  ['compiledView', 'engine_compiled', 'm'],
  ['trackJson', 'engine_track', 'svssn'],
  ['replayTrackJson', 'engine_replay_track', 'svssn'],
  ['setTokenSecret', 'engine_set_token_secret', 'xs'],
  ['seedTokenEntropy', 'engine_seed_token_entropy', 'xn'],
  ['decidePageCountingForJson', 'engine_decide_page_counting_for', 'svsb'],
  ['decidePlacementsCountingForJson', 'engine_decide_placements_counting_for', 'svssb'],
  ['decidePageForJson', 'engine_decide_page_for', 'svsb'],
  ['decideForJson', 'engine_decide_for', 'svssb'],
  ['profileJson', 'engine_profile', 'svn'],
  ['setConsentJson', 'engine_set_consent', 'svssn'],
  ['purposesJson', 'engine_purposes', 'svb'],
  ['cookieForJson', 'engine_cookie_for', 'svnb'],
]);

attuneFunction('hashBucket', 'hash_bucket', 'dss');
