#include "daemon/analytics/annotation.h"

#include <cmath>
#include <limits>

namespace metricsd::analytics {
namespace {

// A JSON number as whole milliseconds: integers as they are, floats rounded (Grafana's clients
// send integers; a float is accepted rather than refused). False when not a finite number in
// the int64 range.
bool Milliseconds(const nlohmann::json& value, Timestamp* out) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(
                                                                       std::numeric_limits<Timestamp>::max())) {
      return false;
    }
    *out = value.get<Timestamp>();
    return true;
  }
  if (!value.is_number_float()) return false;
  const double ms = value.get<double>();
  if (!std::isfinite(ms) || std::fabs(ms) > 9.2e18) return false;
  *out = static_cast<Timestamp>(std::llround(ms));
  return true;
}

}  // namespace

nlohmann::json AnnotationToJson(const Annotation& annotation) {
  return {{"id", annotation.id},
          {"time", annotation.time},
          {"timeEnd", annotation.time_end},
          {"tags", annotation.tags},
          {"text", annotation.text},
          {"dashboardUID", annotation.dashboard_uid},
          {"panelId", annotation.panel_id},
          {"source", annotation.source}};
}

std::string ValidateAnnotation(const Annotation& annotation) {
  if (annotation.text.empty() && annotation.tags.empty()) return "annotation needs \"text\" or \"tags\"";
  if (annotation.text.size() > kMaxAnnotationText) {
    return "\"text\" is " + std::to_string(annotation.text.size()) + " bytes, over the limit of " +
           std::to_string(kMaxAnnotationText);
  }
  if (annotation.tags.size() > kMaxAnnotationTags) {
    return std::to_string(annotation.tags.size()) + " tags, over the limit of " + std::to_string(kMaxAnnotationTags);
  }
  for (const std::string& tag : annotation.tags) {
    if (tag.empty()) return "a tag is empty";
    if (tag.size() > kMaxAnnotationTagBytes) {
      return "a tag is " + std::to_string(tag.size()) + " bytes, over the limit of " +
             std::to_string(kMaxAnnotationTagBytes);
    }
  }
  if (annotation.time_end < annotation.time) return "\"timeEnd\" is before \"time\"";
  if (annotation.dashboard_uid.size() > kMaxAnnotationTagBytes) return "\"dashboardUID\" is too long";
  return "";
}

std::string AnnotationFromJson(const nlohmann::json& body, Timestamp now, Annotation* out) {
  if (!body.is_object()) return "the body must be a JSON object";
  Annotation a;
  a.time = now;
  if (auto it = body.find("time"); it != body.end() && !it->is_null()) {
    if (!Milliseconds(*it, &a.time)) return "\"time\" must be a number of milliseconds since the epoch";
  }
  a.time_end = a.time;
  if (auto it = body.find("timeEnd"); it != body.end() && !it->is_null()) {
    if (!Milliseconds(*it, &a.time_end)) return "\"timeEnd\" must be a number of milliseconds since the epoch";
    // Grafana sends timeEnd 0 for a point annotation.
    if (a.time_end == 0) a.time_end = a.time;
  }
  if (auto it = body.find("text"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return "\"text\" must be a string";
    a.text = it->get<std::string>();
  }
  if (auto it = body.find("tags"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return "\"tags\" must be an array of strings";
    if (it->size() > kMaxAnnotationTags) {
      return std::to_string(it->size()) + " tags, over the limit of " + std::to_string(kMaxAnnotationTags);
    }
    for (const auto& tag : *it) {
      if (!tag.is_string()) return "\"tags\" must be an array of strings";
      a.tags.push_back(tag.get<std::string>());
    }
  }
  if (auto it = body.find("dashboardUID"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return "\"dashboardUID\" must be a string";
    a.dashboard_uid = it->get<std::string>();
  }
  if (auto it = body.find("panelId"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) return "\"panelId\" must be an integer";
    a.panel_id = it->get<std::int64_t>();
  }
  if (std::string error = ValidateAnnotation(a); !error.empty()) return error;
  *out = std::move(a);
  return "";
}

}  // namespace metricsd::analytics
