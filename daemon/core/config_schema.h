// Config as data: each config section declares its keys once (name, type, bounds, doc, secret),
// next to the code that uses them, as a Section<T> bound to the struct T it fills. From that
// one declaration come
//   - the strict loader (Section::Parse: unknown keys with did-you-mean, types, bounds,
//     file:line:column positions),
//   - the defaults (whatever T's member initializers hold: the declaration reads them back),
//   - the effective config (Section::Render, secrets masked as <secret>),
//   - and, through SectionInfo, the README's key tables, the commented default config and the
//     JSON Schema (daemon/config/config_docs.h).
//
//   const Section<WebConfig>& WebSection() {
//     static const auto* section = &(*new Section<WebConfig>("Where /metrics is served."))
//         .Int("max_connections", &WebConfig::max_connections, 1, 100000, "Open connections.")
//         .Dur("read_timeout", &WebConfig::read_timeout, "Time to receive a request.", kPositive);
//     return *section;
//   }
//
// A key's accessor is a pointer to member or a generic lambda `[](auto& c) -> auto& {...}`, so
// a nested YAML block may fill members of the same struct.
//
// Thread-safety: a Section is built once (a function-local static) and immutable afterwards;
// Parse, Render and Keys may be called from any thread at once.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/core/config_node.h"
#include "daemon/core/duration.h"
#include "daemon/core/enum_table.h"
#include "daemon/core/regex_value.h"
#include "daemon/core/secret.h"

namespace metricsd::config {

class SectionInfo;

// What the docs and the schema know of one key, whatever its C++ type.
struct KeyInfo {
  std::string name;
  std::string type;              // README wording: "bool", "int 1..100000", "duration", ...
  std::string doc;               // one line
  bool secret = false;
  bool required = false;
  nlohmann::json schema;         // JSON Schema of the value
  nlohmann::json default_value;  // the effective config's spelling of the default; null: none
  std::string default_note;      // shown instead when the default depends on another key
  const SectionInfo* block = nullptr;  // the keys of a nested block, or of each list item
  bool list = false;                   // block describes the items of a list
};

// The type-erased side of a Section: what generators read.
class SectionInfo {
 public:
  virtual ~SectionInfo() = default;
  const std::string& doc() const { return doc_; }
  // Constraints between keys that a JSON Schema does not express (shown in docs).
  const std::vector<std::string>& notes() const { return notes_; }
  // The keys with their defaults (an empty block parsed: for docs, not for loading).
  virtual std::vector<KeyInfo> Keys() const = 0;
  // The JSON Schema (draft-07) of this block: an object of exactly its keys. Needs no
  // defaults, so building a section (List and Block embed their item's schema) parses nothing.
  nlohmann::json Schema() const;

 private:
  // The keys as declared, without default values.
  virtual std::vector<KeyInfo> DeclaredKeys() const = 0;

 protected:
  explicit SectionInfo(std::string doc) : doc_(std::move(doc)) {}
  std::string doc_;
  std::vector<std::string> notes_;
};

// Value checks shared by many keys.
struct DurationBounds {
  Duration min{0};
  Duration max = Duration::max();
};
inline constexpr DurationBounds kAnyDuration{};
inline constexpr DurationBounds kPositive{Duration(1)};

// The JSON Schema of a Prometheus duration ("1m30s"), a size ("64MiB" or bytes), a scalar
// string (YAML reads `name: 123` as the string "123", as Go's YAML does).
nlohmann::json DurationSchema(DurationBounds bounds = kAnyDuration);
nlohmann::json SizeSchema(std::int64_t min, std::int64_t max);
nlohmann::json StringSchema();
std::string IntRange(std::int64_t min, std::int64_t max);  // "1..100000", "0..", ...
// A KeyInfo for Section::Add (a key of its own kind); the doc is the schema's description too.
KeyInfo MakeKeyInfo(std::string name, std::string type, std::string doc,
                    nlohmann::json schema = StringSchema());
// A size: bytes, or a number with a unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB,
// TiB (powers of 1024), as Prometheus's --storage.tsdb.retention.size.
std::int64_t ParseSizeAt(const ConfigNode& node, std::int64_t min, std::int64_t max);

// Non-template helpers behind Section<T> (config_schema.cpp).
namespace detail {
std::string Number(double value);
std::string JoinNames(const std::vector<std::string>& names);
std::string DurationType(DurationBounds bounds);
void CheckDuration(const ConfigNode& node, Duration value, DurationBounds bounds);
ConfigNode EmptyNode();
}  // namespace detail

template <class T>
class Section final : public SectionInfo {
 public:
  using Parser = std::function<void(const ConfigNode&, T&)>;
  using Renderer = std::function<nlohmann::json(const T&)>;

  explicit Section(std::string doc) : SectionInfo(std::move(doc)) {}

  // The general form every typed adder below reduces to. `parse` runs only when the key is
  // set (unless `always`), `render` gives the effective config's value.
  Section& Add(KeyInfo info, Parser parse, Renderer render, bool always = false) {
    KeyDecl decl;
    decl.info = std::move(info);
    decl.parse = std::move(parse);
    decl.render = std::move(render);
    decl.always = always;
    keys_.push_back(std::move(decl));
    return *this;
  }

  template <class Get>
  Section& Bool(std::string name, Get get, std::string doc) {
    return Add(Info(std::move(name), "bool", std::move(doc), {{"type", {"boolean", "null"}}}),
               [get](const ConfigNode& node, T& out) { Ref(get, out) = node.AsBool(); },
               [get](const T& in) { return nlohmann::json(Ref(get, in)); });
  }

  template <class Get>
  Section& Int(std::string name, Get get, std::int64_t min, std::int64_t max, std::string doc) {
    nlohmann::json schema = {{"type", {"integer", "null"}}, {"minimum", min}, {"maximum", max}};
    return Add(Info(std::move(name), "int " + IntRange(min, max), std::move(doc), schema),
               [get, min, max](const ConfigNode& node, T& out) {
                 using V = std::remove_reference_t<decltype(Ref(get, out))>;
                 Ref(get, out) = static_cast<V>(node.AsInt(min, max));
               },
               [get](const T& in) { return nlohmann::json(Ref(get, in)); });
  }

  // Bytes: an integer, or a number with a unit ("8MiB").
  template <class Get>
  Section& Size(std::string name, Get get, std::int64_t min, std::int64_t max, std::string doc) {
    return Add(Info(std::move(name), "size " + IntRange(min, max), std::move(doc),
                    SizeSchema(min, max)),
               [get, min, max](const ConfigNode& node, T& out) {
                 using V = std::remove_reference_t<decltype(Ref(get, out))>;
                 Ref(get, out) = static_cast<V>(ParseSizeAt(node, min, max));
               },
               [get](const T& in) { return nlohmann::json(Ref(get, in)); });
  }

  template <class Get>
  Section& Double(std::string name, Get get, double min, double max, std::string doc) {
    nlohmann::json schema = {{"type", {"number", "null"}}, {"minimum", min}, {"maximum", max}};
    return Add(Info(std::move(name), "number", std::move(doc), schema),
               [get, min, max](const ConfigNode& node, T& out) {
                 double value = node.AsDouble();
                 if (value < min || value > max) {
                   node.Fail("must be between " + detail::Number(min) + " and " + detail::Number(max));
                 }
                 Ref(get, out) = value;
               },
               [get](const T& in) { return nlohmann::json(Ref(get, in)); });
  }

  template <class Get>
  Section& Dur(std::string name, Get get, std::string doc, DurationBounds bounds = kAnyDuration) {
    return Add(Info(std::move(name), detail::DurationType(bounds), std::move(doc), DurationSchema(bounds)),
               [get, bounds](const ConfigNode& node, T& out) {
                 Duration value = node.AsDuration();
                 detail::CheckDuration(node, value, bounds);
                 Ref(get, out) = value;
               },
               [get](const T& in) { return nlohmann::json(FormatDuration(Ref(get, in))); });
  }

  // A string; `secret` ones render as <secret> (or "" when unset).
  template <class Get>
  Section& String(std::string name, Get get, std::string doc, bool secret = false) {
    KeyInfo info = Info(std::move(name), "string", std::move(doc), StringSchema());
    info.secret = secret;
    return Add(std::move(info),
               [get](const ConfigNode& node, T& out) { Ref(get, out) = node.AsString(); },
               [get, secret](const T& in) {
                 const std::string& value = Ref(get, in);
                 return nlohmann::json(secret ? Secret(value) : value);
               });
  }

  // A file path, resolved against the config file's directory (unless `resolve` is false:
  // the user of the path resolves it).
  template <class Get>
  Section& Path(std::string name, Get get, std::string doc, bool resolve = true) {
    return Add(Info(std::move(name), "path", std::move(doc), StringSchema()),
               [get, resolve](const ConfigNode& node, T& out) {
                 Ref(get, out) = resolve ? node.AsPath() : node.AsString();
               },
               [get](const T& in) { return nlohmann::json(Ref(get, in)); });
  }

  // An RE2 regular expression, compiled at load (a syntax error names its position).
  template <class Get>
  Section& Regex(std::string name, Get get, std::string doc) {
    return Add(Info(std::move(name), "regex", std::move(doc), StringSchema()),
               [get](const ConfigNode& node, T& out) { Ref(get, out) = RegexAt(node); },
               [get](const T& in) { return nlohmann::json(Ref(get, in).text); });
  }

  template <class Get, class E, std::size_t N>
  Section& Enum(std::string name, Get get, const EnumTable<E, N>& table, std::string doc) {
    std::vector<std::string> names = table.Names();
    std::string type = "enum";
    for (std::size_t i = 0; i < names.size(); ++i) type += (i ? " | " : ": ") + names[i];
    nlohmann::json values = names;
    values.push_back(nullptr);
    return Add(Info(std::move(name), type, std::move(doc), {{"enum", values}}),
               [get, &table](const ConfigNode& node, T& out) {
                 std::string text = node.AsString();
                 auto value = table.Parse(text);
                 if (!value) node.Fail("must be " + detail::JoinNames(table.Names()) + ", got \"" + text + "\"");
                 Ref(get, out) = *value;
               },
               [get, &table](const T& in) { return nlohmann::json(table.Name(Ref(get, in))); });
  }

  template <class Get>
  Section& Strings(std::string name, Get get, std::string doc) {
    return Add(Info(std::move(name), "list of strings", std::move(doc),
                    {{"type", {"array", "null"}}, {"items", StringSchema()}}),
               [get](const ConfigNode& node, T& out) {
                 auto& list = Ref(get, out);
                 list.clear();
                 for (const ConfigNode& item : node.Items()) list.push_back(item.AsString());
               },
               [get](const T& in) { return nlohmann::json(Ref(get, in)); });
  }

  // Histogram bucket bounds: a non-empty, strictly increasing list of numbers.
  template <class Get>
  Section& Buckets(std::string name, Get get, std::string doc) {
    return Add(Info(std::move(name), "list of numbers", std::move(doc),
                    {{"type", {"array", "null"}}, {"items", {{"type", "number"}}}, {"minItems", 1}}),
               [get](const ConfigNode& node, T& out) { Ref(get, out) = node.AsBuckets(); },
               [get](const T& in) { return nlohmann::json(Ref(get, in)); });
  }

  // A mapping of free-form names to strings (labels, headers), in file order. `check_name`
  // may refuse a name (throw through node.Fail); `secret` masks every value.
  template <class Get>
  Section& StringMap(std::string name, Get get, std::string doc, bool secret = false,
                     std::function<void(const ConfigNode&, const std::string&)> check_name = {}) {
    KeyInfo info = Info(std::move(name), "map of strings", std::move(doc),
                        {{"type", {"object", "null"}}, {"additionalProperties", StringSchema()}});
    info.secret = secret;
    return Add(std::move(info),
               [get, check_name](const ConfigNode& node, T& out) {
                 auto& map = Ref(get, out);
                 map.clear();
                 for (const auto& entry : node.Entries()) {
                   // Not a structured binding: clang 14 cannot use one in a requires-expression.
                   const std::string& key = entry.first;
                   const ConfigNode& value = entry.second;
                   if (check_name) check_name(value, key);
                   if constexpr (requires { map.emplace_back(key, key); }) {
                     map.emplace_back(key, value.AsString());
                   } else {
                     map.emplace(key, value.AsString());
                   }
                 }
               },
               [get, secret](const T& in) {
                 nlohmann::json out = nlohmann::json::object();
                 for (const auto& [key, value] : Ref(get, in)) {
                   out[key] = secret ? std::string(kSecret) : value;
                 }
                 return out;
               });
  }

  // A nested block whose keys `section` declares, filling the member `get` selects (which
  // may be the same struct: `[](auto& c) -> auto& { return c; }`).
  template <class Get, class U>
  Section& Block(std::string name, Get get, const Section<U>& section, std::string doc) {
    KeyInfo info = Info(std::move(name), "block", std::move(doc), section.Schema());
    info.block = &section;
    return Add(std::move(info),
               [get, &section](const ConfigNode& node, T& out) { section.ParseInto(node, Ref(get, out)); },
               [get, &section](const T& in) { return section.Render(Ref(get, in)); },
               /*always=*/true);
  }

  // A list of blocks (targets, receivers, listeners); an unset key keeps the default list.
  template <class Get, class U>
  Section& List(std::string name, Get get, const Section<U>& section, std::string doc) {
    KeyInfo info = Info(std::move(name), "list", std::move(doc),
                        {{"type", {"array", "null"}}, {"items", section.Schema()}});
    info.block = &section;
    info.list = true;
    return Add(std::move(info),
               [get, &section](const ConfigNode& node, T& out) {
                 auto& list = Ref(get, out);
                 list.clear();
                 for (const ConfigNode& item : node.Items()) {
                   if (!item.IsSet()) item.Fail("expected a mapping, got nothing");
                   list.push_back(section.Parse(item));
                 }
               },
               [get, &section](const T& in) {
                 nlohmann::json out = nlohmann::json::array();
                 for (const auto& item : Ref(get, in)) out.push_back(section.Render(item));
                 return out;
               });
  }

  // Every key (and check) of `section` as keys of this block, filling the member `get`
  // selects: shared key groups such as credentials sit beside a block's own keys.
  template <class Get, class U>
  Section& Include(Get get, const Section<U>& section) {
    for (const auto& key : section.keys_) {
      KeyDecl copy;
      copy.info = key.info;
      copy.parse = [get, parse = key.parse](const ConfigNode& node, T& out) { parse(node, Ref(get, out)); };
      copy.render = [get, render = key.render](const T& in) { return render(Ref(get, in)); };
      copy.always = key.always;
      copy.required_message = key.required_message;
      copy.no_default = key.no_default;
      if (key.omit) copy.omit = [get, omit = key.omit](const T& in) { return omit(Ref(get, in)); };
      keys_.push_back(std::move(copy));
    }
    for (const auto& check : section.checks_) {
      checks_.push_back([get, check](const ConfigNode& node, T& out) { check(node, Ref(get, out)); });
    }
    notes_.insert(notes_.end(), section.notes().begin(), section.notes().end());
    return *this;
  }

  // Modifiers of the key added last.
  Section& Required(std::string message = "") {
    keys_.back().info.required = true;
    keys_.back().required_message = std::move(message);
    return *this;
  }
  Section& DefaultNote(std::string note) {
    keys_.back().info.default_note = std::move(note);
    return *this;
  }
  // No default to show (one of several alternatives, such as a listener's udp or tcp).
  Section& NoDefault() {
    keys_.back().no_default = true;
    return *this;
  }
  // Leaves the key out of the effective config when `omit` says so (alternatives such as a
  // listener's udp/tcp/unixgram: only the one set is shown).
  Section& OmitWhen(std::function<bool(const T&)> omit) {
    keys_.back().omit = std::move(omit);
    return *this;
  }

  // A check across keys, run after every key is parsed; fails through node.Fail / node[k].Fail.
  // `note` says what it checks, for the docs (the schema cannot express it).
  Section& Check(std::string note, Parser check) {
    if (!note.empty()) notes_.push_back(std::move(note));
    checks_.push_back(std::move(check));
    return *this;
  }

  T Parse(const ConfigNode& node) const {
    T out{};
    ParseInto(node, out);
    return out;
  }

  void ParseInto(const ConfigNode& node, T& out) const {
    std::vector<std::string_view> names;
    names.reserve(keys_.size());
    for (const KeyDecl& key : keys_) names.push_back(key.info.name);
    node.ExpectKeys(names);
    for (const KeyDecl& key : keys_) {
      ConfigNode child = node[key.info.name];
      if (child.IsSet() || key.always) {
        key.parse(child, out);
      } else if (key.info.required && node.IsSet()) {  // an absent block has no required keys
        node.Fail(key.required_message.empty() ? "needs " + key.info.name : key.required_message);
      }
    }
    for (const Parser& check : checks_) check(node, out);
  }

  nlohmann::json Render(const T& value) const {
    nlohmann::json out = nlohmann::json::object();
    for (const KeyDecl& key : keys_) {
      if (key.omit && key.omit(value)) continue;
      out[key.info.name] = key.render(value);
    }
    return out;
  }

  std::vector<KeyInfo> Keys() const override {
    std::vector<KeyInfo> keys;
    T defaults = Defaults();
    for (const KeyDecl& key : keys_) {
      KeyInfo info = key.info;
      // Omitted keys still show their default: a type-specific key's default holds for its type.
      if (!info.required && info.default_note.empty() && !key.no_default) {
        info.default_value = key.render(defaults);
      }
      keys.push_back(std::move(info));
    }
    return keys;
  }

 private:
  std::vector<KeyInfo> DeclaredKeys() const override {
    std::vector<KeyInfo> keys;
    for (const KeyDecl& key : keys_) keys.push_back(key.info);
    return keys;
  }

  struct KeyDecl {
    KeyInfo info;
    Parser parse;
    Renderer render;
    bool always = false;
    std::string required_message;
    std::function<bool(const T&)> omit;
    bool no_default = false;
  };

  template <class Get, class Obj>
  static decltype(auto) Ref(const Get& get, Obj& object) {
    return std::invoke(get, object);
  }

  static KeyInfo Info(std::string name, std::string type, std::string doc, nlohmann::json schema) {
    return MakeKeyInfo(std::move(name), std::move(type), std::move(doc), std::move(schema));
  }

  // The defaults: what an empty block parses to (so checks that fill derived values run), or
  // T's initializers for a block that cannot be empty (a list item with required keys).
  T Defaults() const {
    try {
      return Parse(detail::EmptyNode());
    } catch (const ConfigError&) {
      return T{};
    }
  }

  std::vector<KeyDecl> keys_;
  std::vector<Parser> checks_;

  template <class>
  friend class Section;

};

}  // namespace metricsd::config
