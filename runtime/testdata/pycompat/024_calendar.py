# calendar.
import calendar
print(calendar.month(2024, 2))
print(calendar.isleap(2024), calendar.isleap(1900), calendar.leapdays(2000, 2025), calendar.monthrange(2024, 2), calendar.weekday(2024, 7, 14))
print(calendar.month_name[3], calendar.day_name[0], calendar.month_abbr[12], calendar.day_abbr[6], list(calendar.month_name)[1:4])
print(calendar.monthcalendar(2024, 9))
c = calendar.TextCalendar(firstweekday=calendar.SUNDAY)
print(c.formatmonth(2023, 12))
print(calendar.timegm((2024, 1, 1, 0, 0, 0)), calendar.Month.MARCH, calendar.Day.FRIDAY.value, calendar.firstweekday())
print([d for d in calendar.Calendar().itermonthdates(2024, 2)][:3])
print(sum(1 for d in calendar.Calendar().itermonthdays2(2024, 6) if d[0] and d[1] >= 5))
