package repro

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// Options configures a reproduction run from the command line.
type Options struct {
	// Data is the folder holding the data files the reproduction reads.
	Data string
	// Out is the folder the report, results and plots are written to.
	Out string
	// Seeds is the number of seeds; 0 means the reproduction's default.
	Seeds int
	// Progress, if not nil, receives one line per finished run.
	Progress io.Writer
}

func (o Options) seeds(def int) int {
	if o.Seeds > 0 {
		return o.Seeds
	}
	return def
}

func (o Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// Reproduction is one paper-style experiment: Run executes it and writes
// its report into Options.Out.
type Reproduction struct {
	Name        string
	Description string
	DefaultData string // default for Options.Data
	Run         func(Options) error
}

var registry []Reproduction

// Reproductions returns every reproduction in name order.
func Reproductions() []Reproduction {
	out := append([]Reproduction(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the reproduction with the given name.
func Lookup(name string) (Reproduction, error) {
	for _, r := range registry {
		if r.Name == name {
			return r, nil
		}
	}
	var names []string
	for _, r := range Reproductions() {
		names = append(names, r.Name)
	}
	return Reproduction{}, errors.Errorf("repro: unknown reproduction %q (known: %s)",
		name, strings.Join(names, ", "))
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
