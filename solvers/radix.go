package solvers

import "math"

// Magnitude pruning of float32 weights ranks uint32 keys instead of
// float64 scores: it reads and writes half the memory, and a radix select
// replaces the sampling and quickselect of SelectSmallest. The key of a
// kept weight is the bit pattern of |w| plus one, which orders like |w|,
// with NaN taken as +Inf. A pruned weight has key 0, below every kept
// one. The result equals SelectSmallest on the magnitude scores, ties
// included.

// magnitudeKeys32 writes the key of every weight of w into dst and
// counts the top 11 bits of the keys into hist.
func magnitudeKeys32(dst []uint32, w []float32, keep []bool, hist *radixCounts) {
	hist.clear()
	dst = dst[:len(w)]
	keep = keep[:len(w)]
	i := 0
	for ; i+4 <= len(w); i += 4 {
		k0 := magnitudeKey(w[i], keep[i])
		k1 := magnitudeKey(w[i+1], keep[i+1])
		k2 := magnitudeKey(w[i+2], keep[i+2])
		k3 := magnitudeKey(w[i+3], keep[i+3])
		dst[i], dst[i+1], dst[i+2], dst[i+3] = k0, k1, k2, k3
		hist[0][k0>>21]++
		hist[1][k1>>21]++
		hist[2][k2>>21]++
		hist[3][k3>>21]++
	}
	for ; i < len(w); i++ {
		k := magnitudeKey(w[i], keep[i])
		dst[i] = k
		hist[0][k>>21]++
	}
	hist.merge()
}

// magnitudeKey returns the key of a weight v, 0 when it is pruned.
func magnitudeKey(v float32, keep bool) uint32 {
	k := min(math.Float32bits(v)&0x7fffffff, 0x7f800000) + 1
	return k & -uint32(boolToUint8(keep))
}

const radixBuckets = 2048

// radixCounts is four histograms of 11-bit digits. Counting
// neighbouring keys into different ones keeps equal digits, common in
// weights of similar magnitude, from waiting on each other's increments.
// merge leaves the sum in the first.
type radixCounts [4][radixBuckets]int32

func (h *radixCounts) clear() { clear(h[:]) }

func (h *radixCounts) merge() {
	for b := range h[0] {
		h[0][b] += h[1][b] + h[2][b] + h[3][b]
	}
}

// selectSmallestKeys marks in pruned the k smallest keys, ties to the
// lower index, as SelectSmallest does. hist must contain the counts of the
// top 11 bits of the keys, as magnitudeKeys32 leaves them, and it is
// overwritten. It finds the key of rank k−1 from its top 11, middle 11
// and low 10 bits in turn, counting only the keys that share the bits
// found so far, then marks in one pass. The middle and low digits are
// counted only for keys with the digits above them found, which are few
// unless many weights have nearly the same magnitude.
func selectSmallestKeys(keys []uint32, k int, hist *radixCounts, pruned []bool) {
	n := len(keys)
	pruned = pruned[:n]
	if k <= 0 || k >= n {
		for i := range pruned {
			pruned[i] = k >= n
		}
		return
	}
	rank := int32(k - 1)
	b1, less := bucketOf(&hist[0], rank)
	rank -= less

	count := func(shift, mask, match, prefixShift uint32) {
		clear(hist[0][:])
		for _, v := range keys {
			if v>>prefixShift == match {
				hist[0][v>>shift&mask]++
			}
		}
	}
	count(10, 0x7ff, b1, 21)
	b2, less2 := bucketOf(&hist[0], rank)
	rank -= less2
	prefix := b1<<11 | b2

	count(0, 0x3ff, prefix, 10)
	b3, less3 := bucketOf(&hist[0], rank)
	threshold := prefix<<10 | b3

	// The last count of the threshold's bucket is the number of keys equal
	// to it. When all of them are pruned, no tie needs its index.
	equal := int32(k) - (less + less2 + less3)
	if equal == hist[0][b3] {
		for i, v := range keys {
			pruned[i] = v <= threshold
		}
		return
	}
	for i, v := range keys {
		tie := boolToUint8(v == threshold) & boolToUint8(equal > 0)
		pruned[i] = boolToUint8(v < threshold)|tie != 0
		equal -= int32(tie)
	}
}

// bucketOf returns the bucket that contains rank r (0-based) of the counts
// in hist, and the number of entries in the buckets before it.
func bucketOf(hist *[radixBuckets]int32, r int32) (uint32, int32) {
	var below int32
	for b, c := range hist {
		if r < below+c {
			return uint32(b), below
		}
		below += c
	}
	return radixBuckets - 1, below // not reached when r < Σ hist
}
