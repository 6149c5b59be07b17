# datetime: strptime, strftime, timedelta arithmetic.
from datetime import datetime, date, time, timedelta
dt = datetime.strptime("2024-02-28 23:30:15", "%Y-%m-%d %H:%M:%S")
print(dt, repr(dt), dt + timedelta(hours=1), dt + timedelta(days=1, minutes=45))
print(dt.strftime("%A, %B %d, %Y"), dt.strftime("%a %b %d %I:%M %p"), dt.strftime("%j %U %W %y %%"))
print(dt.strftime("%H:%M:%S.%f"), dt.strftime("%d/%m/%Y"), dt.strftime("%Y%m%dT%H%M%S"))
print(datetime.strptime("03/15/23 7:05 PM", "%m/%d/%y %I:%M %p"), datetime.strptime("15 March 2023", "%d %B %Y"), datetime.strptime("Tue, 5 Mar 2024", "%a, %d %b %Y"))
print(datetime.strptime("2024-01-02T03:04:05.123456", "%Y-%m-%dT%H:%M:%S.%f").microsecond, datetime.strptime("2024 045", "%Y %j").date())
d1, d2 = date(2024, 3, 1), date(2023, 12, 25)
print(d1 - d2, (d1 - d2).days, d2 + timedelta(weeks=10), d1.weekday(), d1.isoweekday(), d1.isocalendar())
td = timedelta(days=2, hours=5, minutes=3, seconds=7)
print(td, td.total_seconds(), td * 2, td / 2, td // timedelta(hours=1), -td, abs(-td), timedelta(seconds=-1))
print(timedelta(hours=36) > timedelta(days=1), divmod(timedelta(hours=25), timedelta(days=1)), timedelta(microseconds=1500))
print(date(2024, 2, 29).replace(year=2025) if False else date(2024, 2, 28).replace(year=2025), date.fromordinal(738000), date(2024, 1, 1).toordinal())
print(datetime.combine(date(2024, 5, 6), time(7, 8)), time(13, 5).strftime("%I:%M %p"), time(23, 59, 59, 999999))
print(sorted([date(2024, 1, 3), date(2023, 5, 1), date(2024, 1, 1)]), max(date(2020, 1, 1), date(2019, 12, 31)))
try:
    datetime.strptime("2024-13-01", "%Y-%m-%d")
except ValueError as e:
    print("ValueError:", e)
try:
    date(2023, 2, 29)
except ValueError as e:
    print("ValueError:", e)
start = date(2024, 1, 29)
print([(start + timedelta(days=i)).strftime("%a %d") for i in range(5)])
print(datetime(2024, 1, 1) - datetime(2023, 1, 1), datetime(2024, 3, 10, 12).timestamp() if False else "skip")
