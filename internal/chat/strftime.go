package chat

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// strftime formats t with C/Python strftime directives (C locale). It covers
// the directives date-stamping templates use; others are an error rather than
// a silent wrong date.
func strftime(t time.Time, format string) (string, error) {
	var b strings.Builder
	pad2 := func(n int) { fmt.Fprintf(&b, "%02d", n) }
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(format) {
			return "", fmt.Errorf("strftime_now: format %q ends in a lone %%", format)
		}
		switch format[i] {
		case '%':
			b.WriteByte('%')
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'd':
			pad2(t.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'm':
			pad2(int(t.Month()))
		case 'y':
			pad2(t.Year() % 100)
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'H':
			pad2(t.Hour())
		case 'I':
			pad2((t.Hour()+11)%12 + 1)
		case 'M':
			pad2(t.Minute())
		case 'S':
			pad2(t.Second())
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'u':
			b.WriteString(strconv.Itoa((int(t.Weekday())+6)%7 + 1))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'Z':
			name, _ := t.Zone()
			b.WriteString(name)
		case 'z':
			b.WriteString(t.Format("-0700"))
		default:
			return "", fmt.Errorf("strftime_now: unsupported directive %%%c in %q", format[i], format)
		}
	}
	return b.String(), nil
}
