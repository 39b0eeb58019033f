#pragma once
// FakeCalendarProvider: a scripted booking::CalendarProvider for tests. Answers live slots and
// accepted bookings, or fails every call with a chosen ErrorCode; counts calls and records when
// (by its Clock) each reached it. Thread-safe.

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "booking/calendar_provider.hpp"
#include "core/clock.hpp"

namespace callgate::resilience::testing {

class FakeCalendarProvider final : public booking::CalendarProvider {
 public:
  explicit FakeCalendarProvider(const Clock& clock) : clock_(clock) {}

  // While set, every call fails with this code; nullopt = answer normally.
  void FailWith(std::optional<ErrorCode> code) {
    std::lock_guard lock(mutex_);
    failure_ = code;
  }

  // Calls that reached this provider (a GetSlotsMany counts one per query).
  int calls() const { return calls_.load(); }
  // GetSlotsMany invocations.
  int many_calls() const { return many_calls_.load(); }
  // When each call arrived (wall time), in order.
  std::vector<SystemTimePoint> call_times() const {
    std::lock_guard lock(mutex_);
    return times_;
  }
  std::vector<std::int64_t> invalidated() const {
    std::lock_guard lock(mutex_);
    return invalidated_;
  }

  Result<booking::SlotAnswer> GetSlots(const booking::SlotQuery& query) override {
    if (auto failure = Enter()) return tl::unexpected(*failure);
    booking::SlotAnswer answer;
    answer.source = booking::SlotSource::kLive;
    answer.slots.push_back({query.from, query.from + std::chrono::minutes(30)});
    return answer;
  }

  std::vector<Result<booking::SlotAnswer>> GetSlotsMany(
      const std::vector<booking::SlotQuery>& queries) override {
    ++many_calls_;
    std::vector<Result<booking::SlotAnswer>> answers;
    for (const auto& query : queries) answers.push_back(GetSlots(query));
    return answers;
  }

  Result<booking::Booking> CreateBooking(const booking::BookingRequest& request) override {
    if (auto failure = Enter()) return tl::unexpected(*failure);
    booking::Booking booking;
    booking.uid = "booking-" + std::to_string(calls());
    booking.status = "accepted";
    booking.start = request.start;
    booking.end = request.start + std::chrono::minutes(30);
    booking.event_type_id = request.event_type_id;
    return booking;
  }

  Result<booking::Booking> CancelBooking(const booking::CalendarAccount&, const std::string& uid,
                                         const std::string&,
                                         const booking::BookingChange&) override {
    if (auto failure = Enter()) return tl::unexpected(*failure);
    booking::Booking booking;
    booking.uid = uid;
    booking.status = "cancelled";
    return booking;
  }

  Result<booking::Booking> RescheduleBooking(const booking::CalendarAccount&,
                                             const std::string& uid, SystemTimePoint new_start,
                                             const std::string&,
                                             const booking::BookingChange&) override {
    if (auto failure = Enter()) return tl::unexpected(*failure);
    booking::Booking booking;
    booking.uid = uid + "-r";
    booking.rescheduled_from_uid = uid;
    booking.status = "accepted";
    booking.start = new_start;
    return booking;
  }

  Result<booking::Booking> GetBooking(const booking::CalendarAccount&,
                                      const std::string& uid) override {
    if (auto failure = Enter()) return tl::unexpected(*failure);
    booking::Booking booking;
    booking.uid = uid;
    booking.status = "accepted";
    return booking;
  }

  Result<std::vector<booking::Booking>> ListBookings(const booking::CalendarAccount&,
                                                     const booking::BookingFilter&) override {
    if (auto failure = Enter()) return tl::unexpected(*failure);
    return std::vector<booking::Booking>{};
  }

  Result<std::vector<booking::AccountEventType>> ListAccountEventTypes(
      const booking::CalendarAccount&) override {
    if (auto failure = Enter()) return tl::unexpected(*failure);
    return std::vector<booking::AccountEventType>{{1001, false}};
  }

  void InvalidateEventType(std::int64_t event_type_id) override {
    std::lock_guard lock(mutex_);
    invalidated_.push_back(event_type_id);
  }

 private:
  // Counts the call; the scripted failure, if any.
  std::optional<Error> Enter() {
    ++calls_;
    std::lock_guard lock(mutex_);
    times_.push_back(clock_.Now());
    if (failure_) return Error{*failure_, "scripted failure"};
    return std::nullopt;
  }

  const Clock& clock_;
  std::atomic<int> calls_{0};
  std::atomic<int> many_calls_{0};
  mutable std::mutex mutex_;
  std::optional<ErrorCode> failure_;       // guarded by mutex_
  std::vector<SystemTimePoint> times_;     // guarded by mutex_
  std::vector<std::int64_t> invalidated_;  // guarded by mutex_
};

}  // namespace callgate::resilience::testing
