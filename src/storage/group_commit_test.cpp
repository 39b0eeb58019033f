#include "storage/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/blocking.hpp"

namespace callgate::storage {
namespace {

struct Item : GroupCommit::Waiter {
  int value = 0;
  int written_in = -1;  // the batch that wrote it
};

// Writes batches one after another, recording them; the first one waits until released, so
// the test can queue callers behind it.
class Recorder {
 public:
  void Write(const std::vector<GroupCommit::Waiter*>& waiters) {
    if (batches_.empty()) release_.wait();
    std::vector<int> values;
    for (GroupCommit::Waiter* w : waiters) {
      auto* item = static_cast<Item*>(w);
      values.push_back(item->value);
      item->written_in = static_cast<int>(batches_.size());
    }
    batches_.push_back(values);
  }
  std::promise<void> release;
  std::shared_future<void> release_ = release.get_future().share();
  std::vector<std::vector<int>> batches_;  // only the writing thread touches it
};

void WaitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 5000 && !condition(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(condition());
}

TEST(GroupCommit, CallersArrivingDuringABatchAreWrittenTogetherInArrivalOrderUpToTheLimit) {
  GroupCommit group(3);
  Recorder recorder;
  const GroupCommit::Write write = [&](const auto& batch) {
    recorder.Write(batch);
    return true;
  };
  std::vector<Item> items(6);
  std::vector<std::thread> callers;
  // The first caller writes at once (alone) and is held; five more arrive one after another.
  for (int i = 0; i < 6; ++i) {
    items[i].value = i;
    callers.emplace_back([&, i] { group.Submit(items[i], write); });
    if (i == 0) {
      WaitFor([&] { return group.batches() == 1; });
    } else {
      WaitFor([&] { return group.waiting() == static_cast<std::size_t>(i); });
    }
  }
  recorder.release.set_value();
  for (auto& t : callers) t.join();
  // Every caller returned only after its batch was written; nobody is left waiting.
  const std::vector<std::vector<int>> expected{{0}, {1, 2, 3}, {4, 5}};
  EXPECT_EQ(recorder.batches_, expected);
  for (const Item& item : items) EXPECT_GE(item.written_in, 0) << item.value;
  EXPECT_EQ(group.waiting(), 0u);
  EXPECT_EQ(group.batches(), 3u);
  EXPECT_EQ(group.items(), 6u);
}

TEST(GroupCommit, ACallerAloneWritesAtOnceOnItsOwnThread) {
  GroupCommit group(64);
  Item item;
  std::thread::id writer;
  group.Submit(item, [&](const std::vector<GroupCommit::Waiter*>& batch) {
    writer = std::this_thread::get_id();
    EXPECT_EQ(batch.size(), 1u);
    static_cast<Item*>(batch[0])->written_in = 0;
    return true;
  });
  EXPECT_EQ(writer, std::this_thread::get_id());
  EXPECT_EQ(item.written_in, 0);
  EXPECT_EQ(group.batches(), 1u);
}

// Which caller's thread wrote each batch, when caller 0 writes the first batch alone and is
// held there until callers 1..4 wait behind it, one item per batch.
std::vector<int> WritersOfFiveBatches(GroupCommit& group, bool storage_ok = true) {
  static thread_local int caller = -1;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<int> writers;  // only the writing thread touches it
  const GroupCommit::Write write = [&](const std::vector<GroupCommit::Waiter*>& batch) {
    if (writers.empty()) released.wait();
    EXPECT_EQ(batch.size(), 1u);
    writers.push_back(caller);
    return storage_ok;
  };
  std::vector<Item> items(5);
  std::vector<std::thread> callers;
  for (int i = 0; i < 5; ++i) {
    callers.emplace_back([&, i] {
      caller = i;
      group.Submit(items[i], write);
    });
    if (i == 0) {
      WaitFor([&] { return group.batches() == 1; });
    } else {
      WaitFor([&] { return group.waiting() == static_cast<std::size_t>(i); });
    }
  }
  release.set_value();
  for (auto& t : callers) t.join();
  return writers;
}

TEST(GroupCommit, WithoutFollowOnsEachBatchIsWrittenByTheFirstCallerItHolds) {
  GroupCommit group(1);
  EXPECT_EQ(WritersOfFiveBatches(group), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(group.follow_ons(), 0u);
  EXPECT_EQ(group.batches(), 5u);
}

TEST(GroupCommit, ACallerWhoseItemIsWrittenGoesOnWithUpToTheFollowOnBatches) {
  // Caller 0 writes its own batch and the next two (callers 1's and 2's) without returning in
  // between, then stops; the last two batches are written by other callers (caller 3, woken
  // to write its own, or caller 1 or 2 going on after theirs — whichever gets there first).
  GroupCommit group(1, 2);
  const std::vector<int> writers = WritersOfFiveBatches(group);
  ASSERT_EQ(writers.size(), 5u);
  EXPECT_EQ(writers[0], 0);
  EXPECT_EQ(writers[1], 0);
  EXPECT_EQ(writers[2], 0);
  EXPECT_NE(writers[3], 0);
  EXPECT_NE(writers[4], 0);
  EXPECT_GE(group.follow_ons(), 2u);
  EXPECT_EQ(group.batches(), 5u);
  EXPECT_EQ(group.items(), 5u);
  EXPECT_EQ(group.waiting(), 0u);
}

TEST(GroupCommit, NoFollowOnAfterABatchTheStorageFailed) {
  // Every batch fails as a whole: each caller writes only the batch holding its own item.
  GroupCommit group(1, 2);
  EXPECT_EQ(WritersOfFiveBatches(group, false), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(group.follow_ons(), 0u);
}

TEST(GroupCommit, FollowOnsStopWhenNobodyIsWaiting) {
  GroupCommit group(64, 4);
  Item item;
  int writes = 0;
  group.Submit(item, [&](const std::vector<GroupCommit::Waiter*>&) { return ++writes > 0; });
  EXPECT_EQ(writes, 1);
  EXPECT_EQ(group.follow_ons(), 0u);
}

void ManyConcurrentCallersAreEachWrittenExactlyOnce(std::size_t follow_on_batches) {
  GroupCommit group(8, follow_on_batches);
  std::vector<int> writes(400, 0);  // only touched by the one writing thread at a time
  const GroupCommit::Write write = [&](const std::vector<GroupCommit::Waiter*>& batch) {
    EXPECT_LE(batch.size(), 8u);
    for (GroupCommit::Waiter* w : batch) ++writes[static_cast<Item*>(w)->value];
    return true;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Item item;
        item.value = t * 50 + i;
        group.Submit(item, write);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < writes.size(); ++i) EXPECT_EQ(writes[i], 1) << i;
  EXPECT_EQ(group.items(), 400u);
}

TEST(GroupCommit, ManyConcurrentCallersAreEachWrittenExactlyOnce) {
  ManyConcurrentCallersAreEachWrittenExactlyOnce(0);
}

TEST(GroupCommit, ManyConcurrentCallersAreEachWrittenExactlyOnceWithFollowOns) {
  ManyConcurrentCallersAreEachWrittenExactlyOnce(3);
}

// An item queued with SubmitLater: records the thread that finished it and counts Written().
struct LaterItem : Item {
  LaterItem(int v, std::atomic<int>& finished, std::vector<std::thread::id>* threads = nullptr)
      : finished_(finished), threads_(threads) {
    value = v;
  }
  void Written() override {
    EXPECT_GE(written_in, 0) << value;  // the outcome is set before Written() runs
    if (threads_ != nullptr) (*threads_)[value] = std::this_thread::get_id();
    ++finished_;
  }
  std::atomic<int>& finished_;
  std::vector<std::thread::id>* threads_;
};

TEST(GroupCommit, AnItemQueuedLaterIsWrittenOnTheWriterThreadWithoutTheCallerWaiting) {
  GroupCommit group(64);
  Recorder recorder;
  recorder.release.set_value();
  const GroupCommit::Write write = [&](const auto& batch) {
    recorder.Write(batch);
    return true;
  };
  std::atomic<int> finished{0};
  std::vector<std::thread::id> threads(1);
  {
    // Queuing never waits, so it is allowed where waiting is not (an I/O thread's attempt).
    AttemptMemo memo;
    AttemptScope no_waiting(memo, /*may_block=*/false);
    group.SubmitLater(std::make_unique<LaterItem>(0, finished, &threads), write);
    // What is queued is written whatever happens next: the attempt may no longer be handed to
    // another thread to run again (that would queue the item twice).
    EXPECT_THROW(MayBlock("database"), std::logic_error);
  }
  WaitFor([&] { return finished.load() == 1; });
  EXPECT_NE(threads[0], std::this_thread::get_id());
  EXPECT_EQ(group.items(), 1u);
}

TEST(GroupCommit, ItemsQueuedLaterAndWaitingCallersShareBatchesInArrivalOrder) {
  GroupCommit group(3);
  Recorder recorder;
  const GroupCommit::Write write = [&](const auto& batch) {
    recorder.Write(batch);
    return true;
  };
  std::atomic<int> finished{0};
  std::vector<Item> waiting(6);
  std::vector<std::thread> callers;
  // Caller 0 writes the first batch and is held there; then, alternating, items queued later
  // (1, 3, 5) and waiting callers (2, 4) arrive.
  waiting[0].value = 0;
  callers.emplace_back([&] { group.Submit(waiting[0], write); });
  WaitFor([&] { return group.batches() == 1; });
  for (int i = 1; i < 6; ++i) {
    if (i % 2 == 1) {
      group.SubmitLater(std::make_unique<LaterItem>(i, finished), write);
    } else {
      waiting[i].value = i;
      callers.emplace_back([&, i] { group.Submit(waiting[i], write); });
    }
    WaitFor([&] { return group.waiting() == static_cast<std::size_t>(i); });
  }
  EXPECT_EQ(finished.load(), 0);  // nothing is reported written before it is
  recorder.release.set_value();
  for (auto& t : callers) t.join();
  WaitFor([&] { return finished.load() == 3; });
  const std::vector<std::vector<int>> expected{{0}, {1, 2, 3}, {4, 5}};
  EXPECT_EQ(recorder.batches_, expected);
  EXPECT_GE(waiting[2].written_in, 0);
  EXPECT_GE(waiting[4].written_in, 0);
  EXPECT_EQ(group.waiting(), 0u);
}

TEST(GroupCommit, WhatIsQueuedLaterIsWrittenBeforeTheGroupCommitIsGone) {
  std::atomic<int> finished{0};
  std::atomic<int> written{0};
  {
    GroupCommit group(4);
    const GroupCommit::Write write = [&](const std::vector<GroupCommit::Waiter*>& batch) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the queue grow
      for (GroupCommit::Waiter* w : batch) static_cast<Item*>(w)->written_in = written++;
      return true;
    };
    for (int i = 0; i < 20; ++i) group.SubmitLater(std::make_unique<LaterItem>(i, finished), write);
  }
  EXPECT_EQ(written.load(), 20);
  EXPECT_EQ(finished.load(), 20);
}

TEST(GroupCommit, ManyItemsQueuedLaterBesideWaitingCallersAreEachWrittenExactlyOnce) {
  std::vector<int> writes(400, 0);  // only touched by the one writing thread at a time
  std::atomic<int> finished{0};
  {
    GroupCommit group(8, 2);
    const GroupCommit::Write write = [&](const std::vector<GroupCommit::Waiter*>& batch) {
      EXPECT_LE(batch.size(), 8u);
      for (GroupCommit::Waiter* w : batch) {
        auto* item = static_cast<Item*>(w);
        ++writes[item->value];
        item->written_in = 0;
      }
      return true;
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          const int value = t * 50 + i;
          if (t % 2 == 0) {
            group.SubmitLater(std::make_unique<LaterItem>(value, finished), write);
          } else {
            Item item;
            item.value = value;
            group.Submit(item, write);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  for (std::size_t i = 0; i < writes.size(); ++i) EXPECT_EQ(writes[i], 1) << i;
  EXPECT_EQ(finished.load(), 200);
}

}  // namespace
}  // namespace callgate::storage
