package schedules

import "math"

// ValidateSparsity returns an error unless s.At(t) lies in [0, 1) at
// every step t in [start, end], as a sparsity (the fraction of weights
// that are zero) must: a sparsity of 1 would remove every weight. It
// samples every step, so it costs end−start+1 calls of At, and it checks
// only the steps it is given. It returns an error when end < start or
// either is negative.
func ValidateSparsity(s Schedule, start, end int) error {
	if s == nil {
		return errorf("sparsity", "schedule is missing")
	}
	if err := checkSpan("sparsity", start, end); err != nil {
		return err
	}
	for t := start; t <= end; t++ {
		v := s.At(t)
		if math.IsNaN(v) || v < 0 || v >= 1 {
			return errorf("sparsity", "value (%s) at step %d is outside [0, 1)",
				formatFloat(v), t)
		}
	}
	return nil
}
