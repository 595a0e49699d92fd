package solvers

import (
	"fmt"
	"testing"
)

// TestMomentOffsetsKeepDistances checks the offsets momentOffsets picks
// for every weight and gradient offset that a float32 slice can have.
// Each moment must lie at least 896 bytes from the weight and 256 from
// the gradient, and the two at least 1 KiB apart. Both must be aligned as
// the weight is, so that moments of its type can start there.
func TestMomentOffsetsKeepDistances(t *testing.T) {
	for w := uintptr(0); w < pageBytes; w += 4 {
		for g := uintptr(0); g < pageBytes; g += 4 {
			m, v := momentOffsets(w+3*pageBytes, g+7*pageBytes)
			checks := []struct {
				name     string
				distance uintptr
				min      uintptr
			}{
				{"first moment to weight", pageDistance(m, w), 896},
				{"second moment to weight", pageDistance(v, w), 896},
				{"first moment to gradient", pageDistance(m, g), 256},
				{"second moment to gradient", pageDistance(v, g), 256},
				{"first to second moment", pageDistance(m, v), 1024},
			}
			for _, c := range checks {
				if c.distance < c.min {
					t.Fatalf("weight at %d, gradient at %d: %s is %d bytes, want at least %d",
						w, g, c.name, c.distance, c.min)
				}
			}
			align := uintptr(4)
			if w%8 == 0 {
				align = 8 // a float64 weight
			}
			if m%align != 0 || v%align != 0 || m >= pageBytes || v >= pageBytes {
				t.Fatalf("weight at %d, gradient at %d: offsets %d and %d, want multiples of "+
					"%d below %d", w, g, m, v, align, pageBytes)
			}
		}
	}
}

// TestPlacedSliceOffset checks that placedSlice returns n zeros starting
// at the requested offset modulo the page, with no room to append.
func TestPlacedSliceOffset(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1024, 5000} {
		for _, off := range []uintptr{0, 8, 1152, 4088} {
			name := fmt.Sprintf("n=%d offset %d", n, off)
			s32 := placedSlice[float32](n, off)
			s64 := placedSlice[float64](n, off)
			for _, s := range []struct {
				len, cap int
				addr     uintptr
				zero     bool
			}{
				{len(s32), cap(s32), addressOf(s32), allZero(s32)},
				{len(s64), cap(s64), addressOf(s64), allZero(s64)},
			} {
				if s.len != n || s.cap != n {
					t.Errorf("%s: length %d and capacity %d, want %d", name, s.len, s.cap, n)
				}
				if n > 0 && s.addr%pageBytes != off {
					t.Errorf("%s: starts at offset %d", name, s.addr%pageBytes)
				}
				if !s.zero {
					t.Errorf("%s: not zeroed", name)
				}
			}
		}
	}
}

func allZero[T float](x []T) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}
