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
// scratch must have room for len(scores) values, and its contents are
// overwritten. SelectSmallest does not allocate. It runs in expected O(n)
// time. For n ≥ 8192 it sorts a fixed sample of 2048 scores and takes two
// sample values that bracket rank k. One pass counts the scores below the
// bracket and copies those inside it, and quickselect finds rank k among
// the copies. Quickselect uses a median-of-three pivot and three-way
// partitioning, which keeps runs of equal scores linear. When the bracket
// misses rank k, because the sample does not represent the input, it runs
// quickselect on all n scores. If quickselect's pivots degrade it sorts
// the remaining range, so the worst case is O(n·log n).
//
// SelectSmallest panics if k is outside [0, len(scores)] or a slice is too
// short. Callers in this package check both.
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
	threshold, less := rankValue(scores, k-1, scratch[:n])

	// Branch-free marking: scores below the threshold, then the first
	// k−less scores equal to it in index order.
	equal := k - less
	for i, v := range scores {
		tie := boolToUint8(v == threshold) & boolToUint8(equal > 0)
		pruned[i] = boolToUint8(v < threshold)|tie != 0
		equal -= int(tie)
	}
}

// Sampled selection. Below sampledMin scores rankValue runs quickselect on
// a copy. From sampledMin up it brackets rank k between the sample values
// sampleMargin ranks either side of k's place in the sample.
const (
	sampledMin   = 8192
	sampleSize   = 2048
	sampleMargin = 64 // 2.8 standard deviations of a sample rank at the median
)

// rankValue returns the value v of rank k (0-based) in scores and the
// number of scores below v, using buf (len(scores) values) as scratch.
func rankValue(scores []float64, k int, buf []float64) (v float64, less int) {
	n := len(scores)
	if n < sampledMin {
		copy(buf, scores)
		v = kthSmallest(buf, k)
		return v, countBelow(scores, v)
	}
	sample := buf[:sampleSize]
	for i := range sample {
		sample[i] = scores[int(uint64(i)*uint64(n)/sampleSize)]
	}
	slices.Sort(sample)
	at := k * sampleSize / n
	lo := sample[max(at-sampleMargin, 0)]
	hi := sample[min(at+sampleMargin, sampleSize-1)]

	// Branch-free pass: every score is written at buf[inside], and the
	// index advances only for scores in [lo, hi].
	below, inside := 0, 0
	for _, v := range scores {
		buf[inside] = v
		below += int(boolToUint8(v < lo))
		inside += int(boolToUint8(v >= lo) & boolToUint8(v <= hi))
	}
	if below <= k && k < below+inside {
		v = kthSmallest(buf[:inside], k-below)
		return v, below + countBelow(buf[:inside], v)
	}
	copy(buf, scores)
	v = kthSmallest(buf, k)
	return v, countBelow(scores, v)
}

func countBelow(a []float64, v float64) int {
	n := 0
	for _, x := range a {
		n += int(boolToUint8(x < v))
	}
	return n
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
