"""Days the black-box tests may book on, whatever the date they run on.

The tests book on weekdays a few days ahead; on a public holiday the tenant's branch is closed
(booking/holidays.cpp) and the booking is answered with alternatives instead. bookable_weekdays
leaves out every public holiday of any German state (so it holds for every test tenant's
region), and 24 and 31 December, which many businesses keep as well.
"""
import datetime
import functools


def easter_sunday(year):
    """Easter Sunday of `year` (Gregorian calendar; the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


@functools.lru_cache(maxsize=None)
def closed_days(year):
    """The public holidays of every German state in `year`, and 24 and 31 December."""
    fixed = [(1, 1), (1, 6), (3, 8), (5, 1), (8, 15), (9, 20), (10, 3), (10, 31), (11, 1),
             (12, 24), (12, 25), (12, 26), (12, 31)]
    easter = easter_sunday(year)
    # Good Friday, Easter Monday, Ascension, Whit Monday, Corpus Christi.
    moving = [easter + datetime.timedelta(days=n) for n in (-2, 1, 39, 50, 60)]
    nov23 = datetime.date(year, 11, 23)  # Buß- und Bettag: the last Wednesday before 23 Nov
    back = (nov23.weekday() - 2) % 7 or 7
    repentance = nov23 - datetime.timedelta(days=back)
    return {datetime.date(year, m, d) for m, d in fixed} | set(moving) | {repentance}


def bookable_weekdays(count, start_days, today=None):
    """`count` dates, Monday to Friday and not in closed_days, from `start_days` days ahead of
    `today` (default: the date the test runs on)."""
    out = []
    day = (today or datetime.date.today()) + datetime.timedelta(days=start_days)
    while len(out) < count:
        if day.weekday() < 5 and day not in closed_days(day.year):
            out.append(day)
        day += datetime.timedelta(days=1)
    return out
