package redis_test

import (
	"strconv"
	"time"
)

func timeNow() time.Time { return time.Now() }
func itoa(n int) string  { return strconv.Itoa(n) }
func boolStr(b bool) string {
	return strconv.FormatBool(b)
}
