//go:build !amd64

package solvers

const useAVX2 = false

func softThresholdAVX2(w []float32, keep []bool, t float32, masked bool) {}

func maskAVX2(w []float32, keep []bool) {}

func sumSquaresAVX2(g []float32, keep []bool, masked bool) (float64, bool) { return 0, true }

func weightStatsAVX2(w []float32) (int, float64, float64) { return 0, 0, 0 }

func sumSquaresFastAVX2(g []float32, keep []bool, masked bool) float64 { return 0 }

var useAVX512 = false

func softThresholdAVX512(w []float32, keep []bool, t float32, masked bool) {}

func sumSquaresAVX512(g []float32, keep []bool, masked bool) float64 { return 0 }

func maskAVX512(w []float32, keep []bool) {}
