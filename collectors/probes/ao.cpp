#include "collectors/probes/ao.h"

#include <random>

#include <nlohmann/json.hpp>

namespace metricsd::probes {
namespace {

// A 43-character base64url id, the shape of an Arweave transaction id.
std::string Nonce(std::uint64_t sequence) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 random(std::random_device{}());
  std::uint64_t bits = random() ^ (sequence * 0x9e3779b97f4a7c15ULL);
  std::string id;
  for (int i = 0; i < 43; ++i) {
    if (i % 10 == 0) bits ^= random();
    id += kAlphabet[bits & 63];
    bits >>= 6;
  }
  return id;
}

std::string ErrorText(const nlohmann::json& answer, const std::string& body) {
  if (answer.is_object() && answer.contains("error")) {
    const auto& error = answer["error"];
    return error.is_string() ? error.get<std::string>() : error.dump();
  }
  return body.substr(0, 200);
}

std::optional<double> Number(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    try {
      return std::stod(value.get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

}  // namespace

std::string DryrunBody(const DryrunOptions& options, std::uint64_t sequence) {
  nlohmann::json tags = nlohmann::json::array();
  tags.push_back({{"name", "Action"}, {"value", options.action}});
  for (const auto& [name, value] : options.tags) tags.push_back({{"name", name}, {"value", value}});
  tags.push_back({{"name", "Data-Protocol"}, {"value", "ao"}});
  tags.push_back({{"name", "Type"}, {"value", "Message"}});
  tags.push_back({{"name", "Variant"}, {"value", "ao.TN.1"}});
  nlohmann::json message = {{"Target", options.process_id}, {"Tags", tags}};
  if (!options.owner.empty()) message["Owner"] = options.owner;
  if (!options.data.empty()) message["Data"] = options.data;
  if (options.cache_bust) {
    message["Id"] = Nonce(sequence);
    message["Anchor"] = std::to_string(sequence) + "-" + Nonce(sequence + 1).substr(0, 16);
  } else {
    message["Id"] = "metricsd-probe";
    message["Anchor"] = "0";
  }
  return message.dump();
}

std::string DryrunTarget(const Url& cu, const std::string& process_id) {
  std::string path = cu.target.substr(0, cu.target.find('?'));
  if (path.empty() || path.back() != '/') path += '/';
  std::string encoded;
  for (char c : process_id) {
    bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      encoded += c;
    } else {
      static const char kHex[] = "0123456789ABCDEF";
      encoded += '%';
      encoded += kHex[(static_cast<unsigned char>(c) >> 4) & 15];
      encoded += kHex[static_cast<unsigned char>(c) & 15];
    }
  }
  return path + "dry-run?process-id=" + encoded;
}

DryrunVerdict JudgeDryrun(unsigned status, const std::string& body, const DryrunExpect& expect) {
  DryrunVerdict verdict;
  nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  if (status != 200) {
    verdict.outcome = status == 202 ? Outcome::kBusy
                      : status == 429 ? Outcome::kRateLimited
                      : status == 403 ? Outcome::kDenied
                                      : Outcome::kHttpError;
    verdict.error = "HTTP " + std::to_string(status) + ": " + ErrorText(answer, body);
    return verdict;
  }
  if (answer.is_discarded() || !answer.is_object()) {
    verdict.outcome = Outcome::kBadResponse;
    verdict.error = "the answer is not a JSON object";
    return verdict;
  }
  if (answer.contains("GasUsed")) verdict.gas_used = Number(answer["GasUsed"]);
  std::size_t messages = answer.contains("Messages") && answer["Messages"].is_array() ? answer["Messages"].size() : 0;
  verdict.messages = static_cast<double>(messages);

  if (expect.no_error && answer.contains("Error") && !answer["Error"].is_null() &&
      !(answer["Error"].is_string() && answer["Error"].get<std::string>().empty()) &&
      !(answer["Error"].is_object() && answer["Error"].empty())) {
    verdict.outcome = Outcome::kError;
    const auto& error = answer["Error"];
    verdict.error = "process error: " + (error.is_string() ? error.get<std::string>() : error.dump());
    return verdict;
  }
  auto fail = [&](std::string why) {
    verdict.outcome = Outcome::kExpectationFailed;
    verdict.error = std::move(why);
    return verdict;
  };
  if (static_cast<int>(messages) < expect.min_messages) {
    return fail(std::to_string(messages) + " messages, expected at least " + std::to_string(expect.min_messages));
  }
  for (const auto& [pointer, wanted] : expect.pointers) {
    nlohmann::json::json_pointer at(pointer);
    if (!answer.contains(at)) return fail(pointer + " is missing");
    const auto& got = answer[at];
    bool equal = got == wanted || (got.is_primitive() && !got.is_string() && got.dump() == wanted.get<std::string>());
    if (!equal) return fail(pointer + " is " + got.dump() + ", expected " + wanted.dump());
  }
  if (expect.first_message_tag) {
    const auto& [name, value] = *expect.first_message_tag;
    if (messages == 0) return fail("no message to check tag " + name + " on");
    const auto& tags = answer["Messages"][0].value("Tags", nlohmann::json::array());
    bool found = false;
    for (const auto& tag : tags) {
      if (tag.is_object() && tag.value("name", "") == name) {
        found = true;
        if (tag.value("value", "") != value) {
          return fail("first message tag " + name + " is \"" + tag.value("value", "") + "\", expected \"" + value + "\"");
        }
      }
    }
    if (!found) return fail("first message has no tag " + name);
  }
  return verdict;
}

UnitVerdict JudgeUnitHealth(AoUnit unit, unsigned status, const std::string& body) {
  UnitVerdict verdict;
  if (status != 200) {
    verdict.outcome = Outcome::kHttpError;
    verdict.error = "HTTP " + std::to_string(status);
    return verdict;
  }
  if (unit == AoUnit::kMu) {
    if (body.find("ao messenger unit") == std::string::npos) {
      verdict.outcome = Outcome::kBadResponse;
      verdict.error = "not an MU's answer: " + body.substr(0, 100);
    }
    return verdict;
  }
  nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  if (!answer.is_object() || !answer.contains("address") || !answer.contains("timestamp")) {
    verdict.outcome = Outcome::kBadResponse;
    verdict.error = std::string("not a ") + (unit == AoUnit::kCu ? "CU" : "SU") +
                    "'s answer (expected {\"address\", \"timestamp\"}): " + body.substr(0, 100);
    return verdict;
  }
  if (answer["address"].is_string()) verdict.address = answer["address"].get<std::string>();
  verdict.timestamp_ms = Number(answer["timestamp"]);
  return verdict;
}

std::optional<double> SuBlockHeight(const std::string& body, std::optional<double>& timestamp_ms) {
  nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  if (!answer.is_object()) return std::nullopt;
  if (answer.contains("timestamp")) timestamp_ms = Number(answer["timestamp"]);
  return answer.contains("block_height") ? Number(answer["block_height"]) : std::nullopt;
}

}  // namespace metricsd::probes
