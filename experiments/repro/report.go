package repro

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Options are the command-line settings of a reproduction run.
type Options struct {
	// Data, if not empty, replaces the recipe's data folder.
	Data string
	// Out is the folder the report, results and plots are written to.
	Out string
	// Seeds, if positive, replaces the recipe's seeds by 1 … Seeds.
	Seeds int
	// Progress, if not nil, receives one line per finished run.
	Progress io.Writer
}

func (o Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// writeJSONL writes one JSON object per line.
func writeJSONL[T any](path string, rows []T) error {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "repro: writing results")
	}
	enc := json.NewEncoder(f)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return errors.Wrapf(err, "repro: writing %s", path)
		}
	}
	return errors.Wrapf(f.Close(), "repro: writing %s", path)
}

func writeFile(dir, name, text string) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		return errors.Wrap(err, "repro: writing report")
	}
	return nil
}

// meanStd returns the mean and the sample standard deviation (0 for a
// single value); both are NaN for no values.
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)-1))
}

// sizesText writes layer widths as "64-32-10".
func sizesText(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, v := range sizes {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "-")
}
