#include "agent/tools.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "agent/speech.hpp"
#include "agent/tool_args.hpp"
#include "agent/tool_runner.hpp"

namespace callgate::agent {
namespace {

using nlohmann::ordered_json;

// The argument descriptions several tools share.
constexpr std::string_view kWishParameters = R"j({
  "service": {"type": "string", "description": "Name der Leistung, wie der Anrufer sie nennt (z. B. 'Erstberatung'), oder ihre id"},
  "date": {"type": "string", "description": "Gewünschter Tag, wie gesagt: 'heute', 'morgen', 'Dienstag', 'nächste Woche Dienstag', '15.1.', oder ISO 2026-12-01"},
  "time": {"type": "string", "description": "Gewünschte Uhrzeit, wie gesagt: '14 Uhr', '14:30', 'halb drei', 'vormittags'"})j";

std::string Schema(std::string_view properties, std::string_view required) {
  return std::string(R"j({"type": "object", "properties": )j") + std::string(properties) +
         R"(, "required": )" + std::string(required) + "}";
}

std::string WithWish(std::string_view more) {
  std::string props(kWishParameters);
  if (!more.empty()) props += ",\n" + std::string(more);
  return props + "}";
}

// Storage for the schemas built at start-up (the table holds views into it).
const std::vector<std::string>& Schemas() {
  static const std::vector<std::string> schemas = {
      Schema("{}", "[]"),  // 0: no arguments
      Schema(WithWish(""), R"j(["date"])j"),
      Schema(
          WithWish(
              R"j("count": {"type": "integer", "description": "Anzahl der Vorschläge (Standard 3)"})j"),
          "[]"),
      Schema(R"j({"name": {"type": "string", "description": "Vor- und Nachname"},
                 "email": {"type": "string", "description": "E-Mail-Adresse, falls genannt"},
                 "phone": {"type": "string", "description": "Rückrufnummer, falls abweichend"}})j",
             "[]"),
      Schema(WithWish(R"j("name": {"type": "string", "description": "Name für den Termin"},
  "email": {"type": "string", "description": "E-Mail, falls genannt"},
  "notes": {"type": "string", "description": "Anmerkungen"},
  "confirm": {"type": "boolean", "description": "true, nachdem der Anrufer die Zusammenfassung bestätigt hat"})j"),
             R"j(["date", "time"])j"),
      Schema(WithWish(R"j("name": {"type": "string", "description": "Name für den Termin"},
  "email": {"type": "string", "description": "E-Mail, falls genannt"},
  "phone": {"type": "string", "description": "Rückrufnummer, falls abweichend"},
  "notes": {"type": "string", "description": "Anmerkungen"})j"),
             R"j(["date", "time", "name"])j"),
      Schema(
          R"j({"appointment_id": {"type": "string", "description": "id des Termins, falls mehrere"},
                 "date": {"type": "string", "description": "Tag des Termins, falls mehrere"},
                 "reason": {"type": "string", "description": "Grund der Absage"}})j",
          "[]"),
      Schema(
          R"j({"appointment_id": {"type": "string", "description": "id des Termins, falls mehrere"},
                 "new_date": {"type": "string", "description": "Neuer Tag, wie gesagt"},
                 "new_time": {"type": "string", "description": "Neue Uhrzeit, wie gesagt"},
                 "confirm": {"type": "boolean", "description": "true, wenn der Anrufer die Verschiebung bestätigt hat"}})j",
          R"j(["new_date", "new_time"])j"),
      Schema(
          R"j({"topic": {"type": "string", "description": "Worum es geht, in den Worten des Anrufers"},
                 "when": {"type": "string", "description": "Wann der Rückruf passt, wie gesagt ('morgen vormittag'); leer: so bald wie möglich"},
                 "name": {"type": "string", "description": "Name des Anrufers"},
                 "phone": {"type": "string", "description": "Rückrufnummer, falls nicht die Nummer, von der angerufen wird (nötig bei unterdrückter Nummer)"}})j",
          "[]"),
  };
  return schemas;
}

// The use cases, one per tool: parse the typed arguments, then run booking. A parse failure is
// the answer (a clear kInvalidArgument) and runs nothing.
template <typename Request, typename UseCase>
void Parsed(ToolInvocation& in, Result<Request> request, UseCase use_case) {
  if (!request) {
    in.answer = tl::unexpected(request.error());
    in.bad_arguments = true;
    return;
  }
  in.answer = use_case(*request);
}

// A typed outcome of the use case, spoken (agent/speech.hpp).
template <typename Outcome, typename Speaker>
Result<ToolAnswer> Spoken(Result<Outcome> outcome, Speaker speak) {
  if (!outcome) return tl::unexpected(outcome.error());
  return speak(*outcome);
}

void ListServices(ToolInvocation& in) {
  in.answer = Spoken(in.booking.Services(in.ctx),
                     [](const auto& services) { return SpeakServices(services); });
}

void GetBranches(ToolInvocation& in) {
  in.answer = Spoken(in.booking.Branches(in.ctx),
                     [](const auto& outcome) { return SpeakBranches(outcome); });
}

SpeechSettings Speech(const ToolInvocation& in) {
  return SpeechSettings{in.booking.Settings().max_listed_slots};
}

void CheckAvailability(ToolInvocation& in) {
  Parsed(in, ParseSlotWish(in.call.args), [&](const auto& r) {
    return Spoken(in.booking.Availability().Check(in.ctx, r), [&](const auto& outcome) {
      return SpeakAvailability(outcome, in.ctx.timezone, Speech(in));
    });
  });
}

void GetAlternatives(ToolInvocation& in) {
  Parsed(in, ParseAlternativesRequest(in.call.args), [&](const auto& r) {
    return Spoken(in.booking.Availability().Alternatives(in.ctx, r),
                  [&](const auto& outcome) { return SpeakAlternatives(outcome, in.ctx.timezone); });
  });
}

void CollectCustomerInfo(ToolInvocation& in) {
  Parsed(in, ParseContactDetails(in.call.args), [&](const auto& r) -> Result<ToolAnswer> {
    auto outcome = in.booking.CollectCustomerInfo(in.ctx, r);
    if (!outcome) return tl::unexpected(outcome.error());
    // Later tool calls of this call see the caller as the customer they now are.
    if (const auto* noted = std::get_if<booking::contact::Noted>(&outcome->result);
        noted != nullptr && noted->customer && in.call.known_call) {
      in.contexts.RememberCustomer(in.call.scope, *noted->customer);
    }
    return SpeakContact(*outcome);
  });
}

// Keyed by the call and the arguments: a retried tool call books once and answers the same.
Result<ToolAnswer> Book(ToolInvocation& in, const booking::AppointmentRequest& r) {
  return Spoken(in.booking.BookAppointment(
                    in.ctx, r, ToolIdempotencyKey(in.call.scope, "book-appointment", in.call.args)),
                [&](const auto& outcome) { return SpeakBooking(outcome, in.ctx.timezone); });
}

void CollectAppointmentData(ToolInvocation& in) {
  // Keyed like book-appointment: the confirming call books what the summary offered, once.
  Parsed(in, ParseAppointmentRequest(in.call.args), [&](const auto& r) -> Result<ToolAnswer> {
    if (r.confirm) return Book(in, r);
    return Spoken(in.booking.Availability().Draft(in.ctx, r), [&](const auto& draft) {
      return SpeakDraft(draft, in.ctx.timezone, Speech(in));
    });
  });
}

void BookAppointment(ToolInvocation& in) {
  Parsed(in, ParseAppointmentRequest(in.call.args), [&](const auto& r) { return Book(in, r); });
}

void CancelAppointment(ToolInvocation& in) {
  Parsed(in, ParseCancelRequest(in.call.args), [&](const auto& r) {
    return Spoken(in.booking.Changes().Cancel(in.ctx, r),
                  [&](const auto& outcome) { return SpeakCancel(outcome, in.ctx.timezone); });
  });
}

void RescheduleAppointment(ToolInvocation& in) {
  Parsed(in, ParseRescheduleRequest(in.call.args), [&](const auto& r) {
    return Spoken(in.booking.Changes().Reschedule(in.ctx, r), [&](const auto& outcome) {
      return SpeakReschedule(outcome, in.ctx.timezone, Speech(in));
    });
  });
}

void RequestCallback(ToolInvocation& in) {
  Parsed(in, ParseCallbackWish(in.call.args), [&](const auto& r) {
    return Spoken(in.booking.Callbacks().Request(in.ctx, r),
                  [&](const auto& outcome) { return SpeakCallback(outcome, in.ctx.timezone); });
  });
}

void QueryCustomerAppointments(ToolInvocation& in) {
  in.answer = Spoken(in.booking.Changes().Upcoming(in.ctx),
                     [](const auto& outcome) { return SpeakAppointments(outcome); });
}

}  // namespace

const std::vector<ToolSpec>& Tools() {
  static const std::vector<ToolSpec> tools = [] {
    const auto& s = Schemas();
    using A = ToolAccess;
    using L = LimitClass;
    std::vector<ToolSpec> t;
    t.push_back({"list-services",
                 "Listet die Leistungen, die am Standort des Anrufers buchbar sind, mit Dauer und "
                 "Preis.",
                 s[0], A::kOffer, L::kPerTool, true, false, 5000, false, "", &ListServices});
    t.push_back({"get-branches",
                 "Nennt die Standorte des Unternehmens mit Adresse und Öffnungszeiten.", s[0],
                 A::kOffer, L::kPerTool, true, false, 5000, false, "", &GetBranches});
    t.push_back(
        {"check-availability",
         "Prüft, ob eine Leistung zu einem Wunschtermin frei ist; ohne Uhrzeit nennt es die "
         "freien Zeiten des Tages, bei belegtem Termin Alternativen.",
         s[1], A::kOffer, L::kPerTool, true, false, 10000, true,
         "Sag kurz, dass du im Kalender nachsiehst.", &CheckAvailability});
    t.push_back({"get-alternatives",
                 "Sucht bis zu drei alternative freie Termine nahe am Wunschtermin (gleicher Tag, "
                 "nächster Werktag, gleiche Woche später, erster freier Tag).",
                 s[2], A::kOffer, L::kPerTool, true, false, 10000, true, "", &GetAlternatives});
    t.push_back({"collect-customer-info", "Speichert Name, E-Mail und Telefonnummer des Anrufers.",
                 s[3], A::kCallerData, L::kPerTool, false, false, 5000, false, "",
                 &CollectCustomerInfo});
    t.push_back({"collect-appointment-data",
                 "Zweistufige Buchung: ohne confirm prüft und fasst es den Termin zusammen; mit "
                 "confirm=true bucht es ihn.",
                 s[4], A::kNewBooking, L::kBookingConfirm, false, false, 15000, true, "",
                 &CollectAppointmentData});
    t.push_back({"book-appointment",
                 "Bucht den Termin verbindlich. Nur aufrufen, wenn der Anrufer Leistung, Tag, "
                 "Uhrzeit und Namen bestätigt hat.",
                 s[5], A::kNewBooking, L::kBooking, false, false, 15000, true,
                 "Sag, dass du den Termin jetzt einträgst.", &BookAppointment});
    t.push_back({"cancel-appointment",
                 "Storniert einen eigenen Termin des Anrufers (erkannt an seiner Telefonnummer).",
                 s[6], A::kCallerData, L::kPerTool, false, true, 10000, true, "",
                 &CancelAppointment});
    t.push_back({"reschedule-appointment",
                 "Verschiebt einen eigenen Termin des Anrufers. Zuerst ohne confirm aufrufen "
                 "(Vorschlag), nach Zustimmung mit confirm=true.",
                 s[7], A::kCallerData, L::kPerTool, false, true, 15000, true, "",
                 &RescheduleAppointment});
    t.push_back({"query-customer-appointments", "Nennt die kommenden Termine des Anrufers.", s[0],
                 A::kCallerData, L::kPerTool, true, false, 5000, false, "",
                 &QueryCustomerAppointments});
    t.push_back({"request-callback",
                 "Notiert einen Rückrufwunsch für das Team: wenn der Kalender nicht erreichbar "
                 "ist, kein Termin passt oder der Anrufer einen Menschen sprechen möchte.",
                 s[8], A::kNewBooking, L::kPerTool, false, false, 5000, false, "",
                 &RequestCallback});
    return t;
  }();
  return tools;
}

const ToolSpec* FindTool(std::string_view name) noexcept {
  for (const auto& tool : Tools()) {
    if (tool.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      const char c = name[i] == '_' ? '-' : name[i];
      same = c == tool.name[i];
    }
    if (same) return &tool;
  }
  return nullptr;
}

std::string FunctionName(const ToolSpec& tool) {
  std::string name(tool.name);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string ToolDefinitions(std::string_view format, std::string_view base_url) {
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  ordered_json out = ordered_json::object();
  ordered_json tools = ordered_json::array();
  if (format == "retell") {
    out["description"] =
        "callgate tools for a Retell agent. Replace the host in each url with your callgate's "
        "public address; for a company with its own Retell account use "
        "/api/retell/c/<slug>/<function>. Every request is signed by Retell "
        "(X-Retell-Signature).";
    for (const auto& tool : Tools()) {
      ordered_json t;
      t["type"] = "custom";
      t["name"] = FunctionName(tool);
      t["description"] = tool.description;
      t["url"] = base + "/api/retell/" + std::string(tool.name);
      t["method"] = "POST";
      t["parameters"] = ordered_json::parse(tool.parameters);
      t["speak_during_execution"] = tool.speak_during_execution;
      t["speak_after_execution"] = true;
      t["timeout_ms"] = tool.timeout_ms;
      if (!tool.execution_message.empty()) {
        t["execution_message_description"] = tool.execution_message;
      }
      tools.push_back(std::move(t));
    }
  } else if (format == "vapi") {
    out["description"] =
        "callgate tools for a Vapi assistant. Replace the host with your callgate's public "
        "address; for a company with its own secret use /webhooks/vapi/c/<slug>.";
    for (const auto& tool : Tools()) {
      ordered_json t;
      t["type"] = "function";
      t["async"] = false;
      t["function"] = {{"name", FunctionName(tool)},
                       {"description", tool.description},
                       {"parameters", ordered_json::parse(tool.parameters)}};
      t["server"] = {{"url", base + "/webhooks/vapi"}, {"timeoutSeconds", tool.timeout_ms / 1000}};
      tools.push_back(std::move(t));
    }
  } else if (format == "mcp") {
    for (const auto& tool : Tools()) {
      ordered_json t;
      t["name"] = FunctionName(tool);
      t["description"] = tool.description;
      t["inputSchema"] = ordered_json::parse(tool.parameters);
      t["annotations"] = {{"readOnlyHint", tool.read_only},
                          {"destructiveHint", tool.destructive},
                          {"idempotentHint", tool.read_only},
                          {"openWorldHint", false}};
      tools.push_back(std::move(t));
    }
  } else {
    throw std::invalid_argument("unknown tool format '" + std::string(format) +
                                "' (retell, vapi or mcp)");
  }
  out["tools"] = std::move(tools);
  return out.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace callgate::agent
