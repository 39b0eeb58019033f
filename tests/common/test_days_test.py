"""Unit test of test_days.py: the days the black-box tests book on (Python standard library only).

The expected dates are written out from the published calendars, not computed, so a slip in
the Easter algorithm or a holiday rule fails here rather than as a booking on a closed day in a
fault or security test months later.
"""
import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_days  # noqa: E402

D = datetime.date


class EasterTest(unittest.TestCase):
    def test_known_years(self):
        known = {2000: D(2000, 4, 23), 2019: D(2019, 4, 21), 2024: D(2024, 3, 31),
                 2025: D(2025, 4, 20), 2026: D(2026, 4, 5), 2027: D(2027, 3, 28),
                 2028: D(2028, 4, 16), 2038: D(2038, 4, 25)}
        for year, sunday in known.items():
            self.assertEqual(test_days.easter_sunday(year), sunday, year)


class ClosedDaysTest(unittest.TestCase):
    def test_2026_holidays_of_every_state(self):
        closed = test_days.closed_days(2026)
        for day in (D(2026, 1, 1), D(2026, 1, 6), D(2026, 3, 8), D(2026, 4, 3), D(2026, 4, 6),
                    D(2026, 5, 1), D(2026, 5, 14), D(2026, 5, 25), D(2026, 6, 4),
                    D(2026, 8, 15), D(2026, 9, 20), D(2026, 10, 3), D(2026, 10, 31),
                    D(2026, 11, 1), D(2026, 11, 18), D(2026, 12, 24), D(2026, 12, 25),
                    D(2026, 12, 26), D(2026, 12, 31)):
            self.assertIn(day, closed, day)
        self.assertEqual(len(closed), 19)

    def test_repentance_day_is_the_wednesday_before_23_november(self):
        for year, day in ((2024, 20), (2025, 19), (2026, 18), (2027, 17), (2033, 16)):
            self.assertIn(D(year, 11, day), test_days.closed_days(year), year)
            self.assertEqual(D(year, 11, day).weekday(), 2)
        # 23 November 2033 is a Wednesday itself: the day is the week before.
        self.assertNotIn(D(2033, 11, 23), test_days.closed_days(2033))

    def test_ordinary_days_are_open(self):
        closed = test_days.closed_days(2026)
        for day in (D(2026, 4, 7), D(2026, 12, 7), D(2026, 12, 23), D(2026, 12, 28)):
            self.assertNotIn(day, closed, day)


class BookableWeekdaysTest(unittest.TestCase):
    def test_skips_weekends_christmas_and_new_year(self):
        days = test_days.bookable_weekdays(9, 0, today=D(2026, 12, 21))
        self.assertEqual(days, [D(2026, 12, 21), D(2026, 12, 22), D(2026, 12, 23),
                                D(2026, 12, 28), D(2026, 12, 29), D(2026, 12, 30),
                                D(2027, 1, 4), D(2027, 1, 5), D(2027, 1, 7)])

    def test_starts_the_given_number_of_days_ahead(self):
        # 6 December 2026 is a Sunday: two days ahead is Tuesday the 8th.
        self.assertEqual(test_days.bookable_weekdays(2, 2, today=D(2026, 12, 6)),
                         [D(2026, 12, 8), D(2026, 12, 9)])

    def test_default_is_today(self):
        first = test_days.bookable_weekdays(1, 3)[0]
        self.assertGreaterEqual(first, datetime.date.today() + datetime.timedelta(days=3))
        self.assertLess(first.weekday(), 5)


if __name__ == "__main__":
    unittest.main()
