package datasets

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Set is a labelled data set held in memory: Rows examples of Features
// values each, stored row-major in X. For a classification set Y contains
// the class index (0 … Classes−1) as a float64. For a regression set
// Classes is 0 and Y contains the target.
type Set struct {
	Name     string
	X        []float64 // Rows×Features, row-major
	Y        []float64 // one label or target per row
	Rows     int
	Features int
	Classes  int // number of classes; 0 for regression
}

// Row returns example i's features. The slice aliases X.
func (s *Set) Row(i int) []float64 { return s.X[i*s.Features : (i+1)*s.Features] }

// Label returns example i's class index.
func (s *Set) Label(i int) int { return int(s.Y[i]) }

// Subset returns a new Set with the examples idx, in that order. It
// copies the data, so changing the subset leaves s alone.
func (s *Set) Subset(idx []int) *Set {
	out := &Set{
		Name:     s.Name,
		X:        make([]float64, 0, len(idx)*s.Features),
		Y:        make([]float64, 0, len(idx)),
		Rows:     len(idx),
		Features: s.Features,
		Classes:  s.Classes,
	}
	for _, i := range idx {
		out.X = append(out.X, s.Row(i)...)
		out.Y = append(out.Y, s.Y[i])
	}
	return out
}

// Head returns a copy of the first n examples, or of all of them when n
// is not in [1, Rows).
func (s *Set) Head(n int) *Set {
	if n <= 0 || n > s.Rows {
		n = s.Rows
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return s.Subset(idx)
}

// validate checks that the slices agree with the sizes and that every
// class label is an integer in [0, Classes).
func (s *Set) validate() error {
	if s.Rows <= 0 || s.Features <= 0 {
		return errors.Errorf("datasets: %s: empty set (%d rows, %d features)",
			s.Name, s.Rows, s.Features)
	}
	if len(s.X) != s.Rows*s.Features || len(s.Y) != s.Rows {
		return errors.Errorf("datasets: %s: %d values and %d labels do not fit %d×%d",
			s.Name, len(s.X), len(s.Y), s.Rows, s.Features)
	}
	for i, y := range s.Y {
		if s.Classes > 0 && (y != math.Trunc(y) || y < 0 || int(y) >= s.Classes) {
			return errors.Errorf("datasets: %s: row %d: label %v is not a class in [0, %d)",
				s.Name, i, y, s.Classes)
		}
	}
	return nil
}

// Split shuffles the row indices of s with seed and returns the first
// round(testFraction·Rows) as the test set and the rest as the training
// set. The shuffle is a Fisher–Yates pass written here over math/rand/v2's
// PCG generator seeded with (seed, seed), so the split does not depend on
// the standard library's choice of shuffle algorithm. testFraction must lie in (0, 1) and leave at least
// one example on each side.
func Split(s *Set, testFraction float64, seed uint64) (train, test *Set, err error) {
	if !(testFraction > 0 && testFraction < 1) {
		return nil, nil, errors.Errorf("datasets: Split: test fraction (%v) is outside (0, 1)",
			testFraction)
	}
	nTest := int(math.Round(testFraction * float64(s.Rows)))
	if nTest < 1 || nTest >= s.Rows {
		return nil, nil, errors.Errorf(
			"datasets: Split: test fraction %v of %d rows leaves an empty side",
			testFraction, s.Rows)
	}
	perm := Permutation(s.Rows, seed)
	return s.Subset(perm[nTest:]), s.Subset(perm[:nTest]), nil
}

// Permutation returns a pseudo-random permutation of 0 … n−1 that
// depends only on n and seed (see Split). It takes O(n) time.
func Permutation(n int, seed uint64) []int {
	rng := rand.NewPCG(seed, seed)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := n - 1; i > 0; i-- {
		// The modulo bias is below 2⁻³² for any n a data set reaches.
		j := int(rng.Uint64() % uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}
