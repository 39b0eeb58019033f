#include "tools/simulate_call.hpp"

#include <curl/curl.h>

#include <nlohmann/json.hpp>
#include <random>

#include "core/clock.hpp"
#include "retell/signature.hpp"

namespace callgate::tools {
namespace {

using nlohmann::json;

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string RandomCallId() {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::mt19937 gen(rd());
  std::uniform_int_distribution<size_t> pick(0, sizeof(kChars) - 2);
  std::string id = "sim_";
  for (int i = 0; i < 28; ++i) id.push_back(kChars[pick(gen)]);
  return id;
}

Status Post(const SimulateCallOptions& o, SimulatedStep& step) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Fail(ErrorCode::kInternal, "curl init failed");
  const std::string url = o.base_url + step.path;
  const std::string signature =
      "X-Retell-Signature: " +
      retell::SignRetellPayload(step.request_body, o.retell_key, ToUnixMillis(SystemClock().Now()));
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, signature.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, step.request_body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(step.request_body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &step.response_body);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  step.status = static_cast<int>(status);
  if (rc != CURLE_OK) {
    return Fail(ErrorCode::kUnavailable, url + ": " + curl_easy_strerror(rc));
  }
  return Ok();
}

json CallObject(const SimulateCallOptions& o, const std::string& call_id, std::string_view status,
                long long start_ms, std::optional<long long> end_ms) {
  json call = {{"call_type", "phone_call"},
               {"from_number", o.from_number},
               {"to_number", o.to_number},
               {"direction", "inbound"},
               {"call_id", call_id},
               {"agent_id", o.agent_id},
               {"agent_version", 1},
               {"call_status", status},
               {"start_timestamp", start_ms},
               {"metadata", json::object()},
               {"retell_llm_dynamic_variables", {{"customer_name", "Erika"}}}};
  if (end_ms) {
    call["end_timestamp"] = *end_ms;
    call["duration_ms"] = *end_ms - start_ms;
    call["disconnection_reason"] = "user_hangup";
    call["transcript"] =
        "Agent: Guten Tag, Praxis Dr. Weber, was kann ich für Sie tun?\n"
        "User: Ich hätte gern einen Termin zur Erstberatung, am liebsten morgen Vormittag.\n"
        "Agent: Morgen um 10 Uhr ist frei. Soll ich das für Sie buchen?\n"
        "User: Ja, gern. Vielen Dank!\n";
    call["transcript_object"] = json::array(
        {{{"role", "agent"}, {"content", "Guten Tag, Praxis Dr. Weber."}, {"words", json::array()}},
         {{"role", "user"},
          {"content", "Ich hätte gern einen Termin."},
          {"words", json::array()}}});
    call["recording_url"] = "https://example.invalid/recordings/" + call_id + ".wav";
    call["call_cost"] = {{"combined_cost", 12.5},
                         {"product_costs", json::array()},
                         {"total_duration_seconds", (*end_ms - start_ms) / 1000}};
  }
  return call;
}

}  // namespace

std::string DescribeStep(const SimulatedStep& step) {
  if (!step.agent_says.empty()) {
    return "→ " + step.name + "  " + step.request_body.substr(0, 200) + "\n← " +
           std::to_string(step.status) + "  Agent: " + step.agent_says + "\n";
  }
  std::string out = "→ " + step.method + " " + step.path + "  (" + step.name + ")\n  " +
                    step.request_body.substr(0, 300) + (step.request_body.size() > 300 ? "…" : "") +
                    "\n";
  out += "← " + (step.status == 0 ? std::string("no answer") : std::to_string(step.status)) + "  " +
         step.response_body + "\n";
  return out;
}

Result<std::vector<SimulatedStep>> SimulateCall(
    const SimulateCallOptions& o, const std::function<void(const SimulatedStep&)>& on_step) {
  const std::string call_id = o.call_id.empty() ? RandomCallId() : o.call_id;
  const std::string suffix = o.company_slug.empty() ? "" : "/c/" + o.company_slug;
  const long long start_ms = ToUnixMillis(SystemClock().Now());
  const long long end_ms = start_ms + 95'000;

  std::vector<SimulatedStep> done;
  auto send = [&](std::string name, std::string path, const json& body) -> Result<json> {
    SimulatedStep step;
    step.name = std::move(name);
    step.method = "POST";
    step.path = std::move(path);
    step.request_body = body.dump();
    auto sent = Post(o, step);
    json answer = json::parse(step.response_body, nullptr, false);
    if (answer.is_object() && answer.contains("message") && answer["message"].is_string()) {
      step.agent_says = answer["message"].get<std::string>();
    }
    done.push_back(step);
    if (on_step) on_step(step);
    if (!sent) return tl::unexpected(sent.error());
    if (step.status < 200 || step.status >= 300) {
      return Fail(ErrorCode::kInternal, step.name + " answered " + std::to_string(step.status));
    }
    return answer;
  };
  const json live_call = CallObject(o, call_id, "ongoing", start_ms, std::nullopt);
  auto tool = [&](const std::string& function, json args) {
    return send(
        function,
        "/api/retell" + (o.company_slug.empty() ? "" : "/c/" + o.company_slug) + "/" + function,
        {{"name", function}, {"call", live_call}, {"args", std::move(args)}});
  };
  auto stopped = [&](const auto& r) { return !r.has_value(); };
  // A step that must succeed: a 2xx "no" (success=false) stops the call as refused.
  auto must_succeed = [&](Result<json> answer) -> Result<json> {
    if (answer && !answer->value("success", true)) {
      done.back().refused = true;
      return Fail(ErrorCode::kConflict, done.back().name + " was refused");
    }
    return answer;
  };
  struct {
    bool booked = false;
    bool moved = false;
    bool cancelled = false;
  } outcome;

  if (stopped(send("inbound", "/webhooks/retell/inbound" + suffix,
                   {{"event", "call_inbound"},
                    {"event_timestamp", start_ms},
                    {"call_inbound",
                     {{"agent_id", o.agent_id},
                      {"from_number", o.from_number},
                      {"to_number", o.to_number}}}}))) {
    return done;
  }
  if (stopped(send("call_started", "/webhooks/retell" + suffix,
                   {{"event", "call_started"}, {"call", live_call}}))) {
    return done;
  }
  if (o.conversation) {
    auto services = tool("list-services", json::object());
    if (stopped(services)) return done;
    std::string service = "Erstberatung";
    if (services->contains("services") && !(*services)["services"].empty()) {
      service = (*services)["services"][0].value("name", service);
    }
    // A week ahead: far enough for any change policy's notice.
    const std::string day = "in einer Woche";
    auto check =
        tool("check-availability", {{"service", service}, {"date", day}, {"time", "10 Uhr"}});
    if (stopped(check)) return done;
    auto alternatives =
        tool("get-alternatives",
             {{"service", service}, {"date", day}, {"time", "10 Uhr"}, {"count", 3}});
    if (stopped(alternatives)) return done;
    std::vector<std::string> free_times;  // local ISO "2026-12-01T10:00"
    if (check->value("available", false)) {
      for (const auto& s : check->value("slots", json::array())) {
        if (s.contains("local_iso")) free_times.push_back(s["local_iso"].get<std::string>());
      }
    }
    for (const auto& a : alternatives->value("alternatives", json::array())) {
      if (a.contains("local_iso")) free_times.push_back(a["local_iso"].get<std::string>());
    }
    auto split = [](const std::string& when) {
      const auto cut = when.find_first_of("T ");
      return std::pair{when.substr(0, cut), when.substr(cut + 1)};
    };
    if (!free_times.empty()) {
      const auto [date, time] = split(free_times.front());
      auto booked = must_succeed(tool(
          "book-appointment",
          {{"service", service}, {"date", date}, {"time", time}, {"name", "Erika Mustermann"}}));
      if (stopped(booked)) return done;
      outcome.booked = true;
      // This run's appointment, by id: earlier runs' appointments of the same caller stay out.
      std::string appointment = std::to_string(booked->value("appointment_id", 0LL));
      if (stopped(tool("query-customer-appointments", json::object()))) return done;
      if (free_times.size() > 1) {
        const auto [new_date, new_time] = split(free_times[1]);
        if (stopped(tool("reschedule-appointment", {{"appointment_id", appointment},
                                                    {"new_date", new_date},
                                                    {"new_time", new_time}}))) {
          return done;
        }
        auto moved = must_succeed(tool("reschedule-appointment", {{"appointment_id", appointment},
                                                                  {"new_date", new_date},
                                                                  {"new_time", new_time},
                                                                  {"confirm", true}}));
        if (stopped(moved)) return done;
        outcome.moved = true;
        appointment = std::to_string(moved->value("appointment_id", 0LL));
      }
      if (stopped(
              must_succeed(tool("cancel-appointment", {{"appointment_id", appointment},
                                                       {"reason", "Termin doch nicht nötig"}})))) {
        return done;
      }
      outcome.cancelled = true;
    }
  }
  if (stopped(send("call_ended", "/webhooks/retell" + suffix,
                   {{"event", "call_ended"},
                    {"call", CallObject(o, call_id, "ended", start_ms, end_ms)}}))) {
    return done;
  }
  json analyzed = CallObject(o, call_id, "ended", start_ms, end_ms);
  // What the conversation did, as the platform's analysis would sum it up.
  std::vector<std::string> did;
  if (outcome.booked) did.push_back("vereinbart");
  if (outcome.moved) did.push_back("verschoben");
  if (outcome.cancelled) did.push_back("abgesagt");
  std::string summary = "Die Anruferin hat sich nach Terminen erkundigt.";
  if (!did.empty()) {
    summary = "Die Anruferin hat einen Termin ";
    for (size_t i = 0; i < did.size(); ++i) {
      summary += (i == 0 ? "" : i + 1 == did.size() ? " und " : ", ") + did[i];
    }
    summary += ".";
  }
  analyzed["call_analysis"] = {{"call_summary", summary},
                               {"user_sentiment", "Positive"},
                               {"call_successful", true},
                               {"in_voicemail", false},
                               {"custom_analysis_data", json::object()}};
  send("call_analyzed", "/webhooks/retell" + suffix,
       {{"event", "call_analyzed"}, {"call", analyzed}});
  return done;
}

}  // namespace callgate::tools
