package schedules

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
)

// MaxStep is the largest step any schedule argument may name. It keeps
// sums of nested delays and joins far from integer overflow.
const MaxStep = 1 << 40

// errorf returns an error "schedules: fn: message".
func errorf(fn, format string, args ...any) error {
	// A long argument, such as a spec of thousands of characters, is cut
	// to 80 bytes so the message stays readable.
	for i, a := range args {
		if text, ok := a.(string); ok && len(text) > 80 {
			args[i] = strings.ToValidUTF8(text[:80], "") + "…"
		}
	}
	if len(fn) > 80 {
		fn = strings.ToValidUTF8(fn[:80], "") + "…"
	}
	return errors.Errorf("schedules: %s: %s", fn, fmt.Sprintf(format, args...))
}

func checkFinite(fn, name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return errorf(fn, "%s (%s) is not a finite number", name, formatFloat(v))
	}
	return nil
}

func checkPositive(fn, name string, v float64) error {
	if err := checkFinite(fn, name, v); err != nil {
		return err
	}
	if v <= 0 {
		return errorf(fn, "%s (%s) must be positive", name, formatFloat(v))
	}
	return nil
}

func checkStep(fn, name string, step int) error {
	if step < 0 {
		return errorf(fn, "%s (%d) is a negative step", name, step)
	}
	if step > MaxStep {
		return errorf(fn, "%s (%d) is beyond the maximum step %d", name, step, MaxStep)
	}
	return nil
}

func checkPeriod(fn, name string, period int) error {
	if err := checkStep(fn, name, period); err != nil {
		return err
	}
	if period == 0 {
		return errorf(fn, "%s (0) must be at least 1", name)
	}
	return nil
}

func checkSpan(fn string, start, end int) error {
	if err := checkStep(fn, "start", start); err != nil {
		return err
	}
	if err := checkStep(fn, "end", end); err != nil {
		return err
	}
	if end < start {
		return errorf(fn, "end (%d) is before start (%d)", end, start)
	}
	return nil
}

func checkBounds(fn string, low, high float64) error {
	if err := checkFinite(fn, "low", low); err != nil {
		return err
	}
	if err := checkFinite(fn, "high", high); err != nil {
		return err
	}
	if low > high {
		return errorf(fn, "low (%s) is above high (%s)", formatFloat(low), formatFloat(high))
	}
	return nil
}

func validateRamp(fn string, from, to float64, start, end int) error {
	if err := checkFinite(fn, "from", from); err != nil {
		return err
	}
	if err := checkFinite(fn, "to", to); err != nil {
		return err
	}
	return checkSpan(fn, start, end)
}

// validateInner validates a schedule nested in another one. A nil one is
// an error, and one without a Validate method is accepted as it is. An
// Adaptive one is an error, because nothing would call its Update: an
// adaptive multiplier must be the outermost schedule or a milestones
// entry.
func validateInner(fn, name string, s Schedule) error {
	if _, ok := s.(Adaptive); ok {
		return errorf(fn, "%s (%s) is adaptive, and an adaptive multiplier must be the "+
			"outermost schedule or a milestones entry", name, formatSchedule(s))
	}
	return validateEntry(fn, name, s)
}

// validateEntry validates a schedule that may be Adaptive.
func validateEntry(fn, name string, s Schedule) error {
	if s == nil {
		return errorf(fn, "%s is missing", name)
	}
	if v, ok := s.(Validator); ok {
		return v.Validate()
	}
	return nil
}
