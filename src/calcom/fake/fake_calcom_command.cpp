#include "calcom/fake/fake_calcom_command.hpp"

#include <iostream>

#include "calcom/fake/fake_calcom.hpp"
#include "http/signals.hpp"

namespace callgate::calcom::fake {

int RunFakeCalcom(int port, const FakeCalcomCommandOptions& options) {
  if (port < 0 || port > 65535) {
    std::cerr << "callgate fake-calcom: --port must be in 0..65535\n";
    return 2;
  }
  if (options.latency_ms < 0 || options.latency_ms > 60'000) {
    std::cerr << "callgate fake-calcom: --latency-ms must be in 0..60000\n";
    return 2;
  }
  http::TerminationSignalWaiter signals;  // before any thread starts, so they inherit the mask
  FakeCalcomOptions fake_options;
  fake_options.address = options.address;
  fake_options.port = static_cast<std::uint16_t>(port);
  fake_options.behavior.latency_ms = options.latency_ms;
  // Besides the defaults, one event type with several lengths (30 by default, 45, 60).
  auto flexible = fake_options.event_types.front();
  flexible.id = 1004;
  flexible.title = "Behandlung flexibel";
  flexible.slug = "behandlung-flexibel";
  flexible.length_options = {30, 45, 60};
  fake_options.event_types.push_back(flexible);
  // And one that requires confirmation: bookings stay pending until
  // POST /_fake/bookings/{uid}/confirm (or /reject).
  auto confirmed = fake_options.event_types.front();
  confirmed.id = 1005;
  confirmed.title = "Behandlung mit Bestätigung";
  confirmed.slug = "behandlung-bestaetigung";
  confirmed.requires_confirmation = true;
  fake_options.event_types.push_back(std::move(confirmed));
  FakeCalcom fake(std::move(fake_options));
  if (auto started = fake.Start(); !started) {
    std::cerr << "callgate fake-calcom: cannot serve: " << started.error().message << "\n";
    return 1;
  }
  std::cout << "fake Cal.com serving on " << fake.base_url()
            << "  (keys: cal_*; control: POST /_fake/config, GET /_fake/stats; Ctrl-C to stop)"
            << std::endl;
  signals.Wait();
  fake.Stop();
  return 0;
}

}  // namespace callgate::calcom::fake
