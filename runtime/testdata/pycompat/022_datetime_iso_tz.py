# datetime: isoformat, fromisoformat, fixed-offset time zones, UTC timestamps.
from datetime import datetime, date, time, timedelta, timezone, UTC
dt = datetime(2024, 7, 14, 9, 30, 0, tzinfo=timezone.utc)
print(dt.isoformat(), dt.isoformat(timespec="minutes"), dt.isoformat(sep=" "), str(dt))
print(datetime(2024, 7, 14, 9, 30, 0, 123000).isoformat(), datetime(2024, 7, 14, 9, 30, 0, 123000).isoformat(timespec="milliseconds"))
print(datetime.fromisoformat("2024-07-14T09:30:00+02:00"), datetime.fromisoformat("2024-07-14T09:30:00Z"), datetime.fromisoformat("2024-07-14"))
print(datetime.fromisoformat("20240714T093000"), date.fromisoformat("2024-07-14"), time.fromisoformat("09:30:15.5"), date.fromisoformat("2024-W28-7"))
ist = timezone(timedelta(hours=5, minutes=30), "IST")
est = timezone(timedelta(hours=-5))
print(dt.astimezone(ist), dt.astimezone(est), dt.astimezone(est).tzname(), dt.astimezone(ist).tzname(), dt.astimezone(ist).utcoffset())
print(dt.astimezone(ist).strftime("%Y-%m-%d %H:%M %z %Z"), datetime(2024, 1, 1, tzinfo=est).strftime("%z"))
a = datetime(2024, 1, 1, 12, tzinfo=ist)
b = datetime(2024, 1, 1, 12, tzinfo=est)
print(b - a, a < b, a.astimezone(UTC) == a, a == a.astimezone(UTC))
print(dt.timestamp(), datetime.fromtimestamp(0, UTC), datetime.fromtimestamp(1700000000, tz=timezone.utc), datetime.fromtimestamp(1.5, UTC))
print(dt.utcoffset(), dt.tzinfo, datetime(2024, 1, 1).tzinfo, dt.replace(tzinfo=None), timezone(timedelta(0)) == timezone.utc)
print(datetime.strptime("2024-07-14 09:30:00 +0530", "%Y-%m-%d %H:%M:%S %z"), datetime.strptime("2024-07-14T09:30:00Z", "%Y-%m-%dT%H:%M:%S%z").tzinfo)
try:
    datetime(2024, 1, 1) < dt
except TypeError as e:
    print("TypeError:", e)
try:
    datetime.fromisoformat("14/07/2024")
except ValueError as e:
    print("ValueError:", e)
print((dt + timedelta(days=200)).isoformat(), dt.date(), dt.time(), dt.timetz(), dt.weekday())
print(datetime(2024, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timetuple()[:6], dt.utctimetuple().tm_yday)
