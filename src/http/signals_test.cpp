#include "http/signals.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>

namespace callgate::http {
namespace {

TEST(TerminationSignalWaiter, ReturnsTheSignalThatArrived) {
  TerminationSignalWaiter waiter;
  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_EQ(waiter.WaitFor(std::chrono::seconds(10)), SIGTERM);
}

TEST(TerminationSignalWaiter, TimesOutWithoutSignal) {
  TerminationSignalWaiter waiter;
  EXPECT_EQ(waiter.WaitFor(std::chrono::milliseconds(10)), std::nullopt);
}

TEST(TerminationSignalWaiter, OnlyOneAtATime) {
  TerminationSignalWaiter waiter;
  EXPECT_THROW(TerminationSignalWaiter(), std::logic_error);
}

}  // namespace
}  // namespace callgate::http
