package solvers

import (
	"math"
	"math/bits"
	"slices"
)

// SelectSmallest marks in pruned the k entries of scores with the smallest
// values: pruned[i] is set to true for them and to false for every other
// entry. Ties are broken by index: among equal scores the lower index is
// selected first, so the result is a pure function of scores and k. -Inf
// scores are selected before every finite score and +Inf scores after.
// NaN scores are not allowed.
//
// scratch must have room for len(scores) values; its contents are
// overwritten. SelectSmallest does not allocate. It runs in expected
// O(n) time (quickselect with a median-of-three pivot and three-way
// partitioning, which keeps runs of equal scores linear); if the pivots
// degrade it sorts the remaining range, so the worst case is O(n·log n).
//
// SelectSmallest panics if k is outside [0, len(scores)] or a slice is too
// short; callers in this package check both.
func SelectSmallest(scores []float64, k int, scratch []float64, pruned []bool) {
	n := len(scores)
	if k < 0 || k > n || len(scratch) < n || len(pruned) < n {
		panic("solvers: SelectSmallest: k out of range or slice too short")
	}
	if k == 0 {
		clear(pruned[:n])
		return
	}
	if k == n {
		for i := range pruned[:n] {
			pruned[i] = true
		}
		return
	}
	buf := scratch[:n]
	copy(buf, scores)
	threshold := kthSmallest(buf, k-1)

	less := 0
	for _, v := range scores {
		if v < threshold {
			less++
		}
	}
	equal := k - less
	for i, v := range scores {
		switch {
		case v < threshold:
			pruned[i] = true
		case v == threshold && equal > 0:
			pruned[i] = true
			equal--
		default:
			pruned[i] = false
		}
	}
}

// kthSmallest returns the value of rank k (0-based) in a, reordering a.
func kthSmallest(a []float64, k int) float64 {
	lo, hi := 0, len(a)
	budget := 2 * bits.Len(uint(len(a)))
	for hi-lo > 16 {
		if budget == 0 {
			slices.Sort(a[lo:hi])
			return a[k]
		}
		budget--

		pivot := medianOfThree(a[lo], a[lo+(hi-lo)/2], a[hi-1])
		lt, gt := partition3(a[lo:hi], pivot)
		lt += lo
		gt += lo
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return pivot
		}
	}
	insertionSort(a[lo:hi])
	return a[k]
}

// partition3 reorders a into values < pivot, == pivot and > pivot, and
// returns the bounds [lt, gt) of the middle run.
func partition3(a []float64, pivot float64) (lt, gt int) {
	lt, i, gt := 0, 0, len(a)
	for i < gt {
		switch v := a[i]; {
		case v < pivot:
			a[lt], a[i] = a[i], a[lt]
			lt++
			i++
		case v > pivot:
			gt--
			a[gt], a[i] = a[i], a[gt]
		default:
			i++
		}
	}
	return lt, gt
}

func medianOfThree(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	if a > b {
		return a
	}
	return b
}

func insertionSort(a []float64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// roundCount returns the number of pruned units for a target sparsity s on
// n units: s·n rounded half away from zero (math.Round), clamped to
// [0, n].
func roundCount(s float64, n int) int {
	k := int(math.Round(s * float64(n)))
	return min(max(k, 0), n)
}
