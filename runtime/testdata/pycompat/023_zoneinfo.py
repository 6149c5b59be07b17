# zoneinfo: conversions at fixed dates, daylight saving transitions.
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
paris = ZoneInfo("Europe/Paris")
ny = ZoneInfo("America/New_York")
tokyo = ZoneInfo("Asia/Tokyo")
for when in [datetime(2024, 1, 15, 12, 0, tzinfo=timezone.utc), datetime(2024, 7, 15, 12, 0, tzinfo=timezone.utc)]:
    p = when.astimezone(paris)
    print(p, p.tzname(), p.utcoffset(), p.dst(), when.astimezone(ny).isoformat(), when.astimezone(tokyo).strftime("%H:%M %Z"))
local = datetime(2024, 3, 31, 1, 30, tzinfo=paris)
print(local, local + timedelta(hours=1), (local.astimezone(timezone.utc) + timedelta(hours=1)).astimezone(paris))
amb = datetime(2024, 10, 27, 2, 30, tzinfo=paris)
print(amb.utcoffset(), amb.replace(fold=1).utcoffset(), amb.tzname(), amb.replace(fold=1).tzname())
gap = datetime(2024, 3, 31, 2, 30, tzinfo=paris)
print(gap.utcoffset(), gap.astimezone(timezone.utc))
meeting = datetime(2024, 11, 5, 9, 0, tzinfo=ny)
print(meeting.astimezone(paris), meeting.astimezone(ZoneInfo("UTC")), meeting.astimezone(ZoneInfo("Australia/Sydney")))
print(str(paris), repr(paris), paris.key, ZoneInfo("Europe/Paris") is paris)
print(datetime(2024, 7, 1, tzinfo=ZoneInfo("Asia/Kolkata")).utcoffset(), datetime(2024, 7, 1, tzinfo=ZoneInfo("America/Los_Angeles")).tzname())
try:
    ZoneInfo("Mars/Olympus")
except Exception as e:
    print(type(e).__name__, e)
