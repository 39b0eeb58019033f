#include "core/blocking.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string_view>
#include <thread>

namespace callgate {
namespace {

TEST(Blocking, MayBlockOutsideAnyAttempt) {
  EXPECT_TRUE(MayBlockHere());
  EXPECT_NO_THROW(MayBlock("database"));
  EXPECT_FALSE(StepDoneInEarlierAttempt("limit"));
  MarkAttemptStep("limit");  // no attempt: nothing to record in
  EXPECT_FALSE(StepDoneInEarlierAttempt("limit"));
}

TEST(Blocking, AnAttemptThatMustNotBlockThrowsWhereItWouldWait) {
  AttemptMemo memo;
  {
    AttemptScope scope(memo, /*may_block=*/false);
    EXPECT_FALSE(MayBlockHere());
    try {
      MayBlock("database");
      ADD_FAILURE() << "MayBlock did not throw";
    } catch (const WouldBlock& e) {
      EXPECT_EQ(std::string_view(e.where), "database");
    }
  }
  // The scope ended: the thread may block again.
  EXPECT_TRUE(MayBlockHere());
  EXPECT_NO_THROW(MayBlock("database"));
}

TEST(Blocking, AnAttemptMarkedIrrevocableFailsLoudlyInsteadOfBeingRetried) {
  AttemptMemo memo;
  {
    AttemptScope scope(memo, /*may_block=*/false);
    MarkAttemptIrrevocable("a queued write");
    try {
      MayBlock("database");
      ADD_FAILURE() << "MayBlock did not throw";
    } catch (const WouldBlock&) {
      ADD_FAILURE() << "a retry would do the queued write again";
    } catch (const std::logic_error& e) {
      EXPECT_EQ(std::string_view(e.what()),
                "database would wait after a queued write in an attempt that must not be retried");
    }
    {
      // A nested attempt starts clean, and the outer one is irrevocable again after it.
      AttemptScope inner(memo, /*may_block=*/false);
      EXPECT_THROW(MayBlock("redis"), WouldBlock);
    }
    EXPECT_THROW(MayBlock("redis"), std::logic_error);
  }
  {
    // The next attempt is not marked; where blocking is allowed, marking changes nothing.
    AttemptScope retry(memo, /*may_block=*/false);
    EXPECT_THROW(MayBlock("database"), WouldBlock);
  }
  {
    AttemptScope on_a_handler_thread(memo, /*may_block=*/true);
    MarkAttemptIrrevocable("a queued write");
    EXPECT_NO_THROW(MayBlock("database"));
  }
  MarkAttemptIrrevocable("outside any attempt");
  EXPECT_NO_THROW(MayBlock("database"));
}

TEST(Blocking, StepsOfTheFirstAttemptAreSeenByTheRetryOnly) {
  AttemptMemo memo;
  {
    AttemptScope first(memo, false);
    EXPECT_FALSE(StepDoneInEarlierAttempt("limit"));
    MarkAttemptStep("limit");
    EXPECT_FALSE(StepDoneInEarlierAttempt("limit"));  // done in this attempt, not an earlier one
  }
  {
    AttemptScope retry(memo, true);
    EXPECT_TRUE(StepDoneInEarlierAttempt("limit"));
    EXPECT_FALSE(StepDoneInEarlierAttempt("other"));
    EXPECT_NO_THROW(MayBlock("database"));
  }
  // Another request's memo is its own.
  AttemptMemo other;
  AttemptScope scope(other, true);
  EXPECT_FALSE(StepDoneInEarlierAttempt("limit"));
}

TEST(Blocking, ARepeatedStepIsSkippedAsOftenAsTheEarlierAttemptDidIt) {
  // The first attempt did "charge" twice and stopped; the retry asks three times: the first two
  // were done, the third is new. A step the first attempt asked for but did not record (it
  // stopped before, or it was refused) is not done.
  AttemptMemo memo;
  {
    AttemptScope first(memo, false);
    for (int i = 0; i < 2; ++i) {
      EXPECT_FALSE(StepDoneInEarlierAttempt("charge")) << i;
      MarkAttemptStep("charge");
    }
    EXPECT_FALSE(StepDoneInEarlierAttempt("other"));
  }
  AttemptScope retry(memo, true);
  EXPECT_TRUE(StepDoneInEarlierAttempt("charge"));
  EXPECT_TRUE(StepDoneInEarlierAttempt("charge"));
  EXPECT_FALSE(StepDoneInEarlierAttempt("charge"));
  EXPECT_FALSE(StepDoneInEarlierAttempt("other"));
}

TEST(Blocking, ScopesNestAndRestore) {
  AttemptMemo outer_memo;
  AttemptMemo inner_memo;
  {
    AttemptScope first(outer_memo, true);
    MarkAttemptStep("outer");
  }
  AttemptScope outer(outer_memo, true);
  {
    AttemptScope inner(inner_memo, false);
    EXPECT_FALSE(MayBlockHere());
    EXPECT_FALSE(StepDoneInEarlierAttempt("outer"));
  }
  EXPECT_TRUE(MayBlockHere());
  EXPECT_TRUE(StepDoneInEarlierAttempt("outer"));
}

TEST(Blocking, TheScopeBelongsToItsThread) {
  AttemptMemo memo;
  AttemptScope scope(memo, false);
  bool other_thread_may_block = false;
  std::thread([&] { other_thread_may_block = MayBlockHere(); }).join();
  EXPECT_TRUE(other_thread_may_block);
  EXPECT_FALSE(MayBlockHere());
}

}  // namespace
}  // namespace callgate
