#pragma once
// Whether the pending-booking job (a booking Cal.com could not take during the call) has failed
// once and now waits, unreserved, for its retry. Tests that bring Cal.com back and advance the
// clock wait for this first: an attempt still running when the clock jumps measures its backoff
// from the later time, and its retry is then not due within the test's wait. For integration
// tests.

#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::testing {

inline bool PendingBookingAwaitsRetry(storage::Database& db) {
  long long waiting = 0;
  auto read = db.Run([&](storage::Session& s) -> Status {
    s.Query("COUNT(*) AS n",
            "FROM jobs WHERE type = 'calcom_pending_booking' AND attempts >= 1 AND "
            "reserved_until IS NULL AND last_error IS NOT NULL",
            {}, [&](const storage::Row& r) { waiting = r.Int64("n"); });
    return Ok();
  });
  return read.has_value() && waiting == 1;
}

}  // namespace callgate::testing
