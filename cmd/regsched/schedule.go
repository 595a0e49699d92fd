package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/regsched/regsched/schedules"
)

// Limits of the schedule command.
const (
	defaultScheduleSteps = 1000 // --steps for a schedule without a span
	maxTableSteps        = schedules.MaxStep
	maxPlotSteps         = 1000000 // a plot draws every step
	maxChangePoints      = 1000    // maximum every(...) change points in a table
)

func init() { rootCmd.AddCommand(newScheduleCmd()) }

// scheduleOptions is the flags of the schedule command.
type scheduleOptions struct {
	steps    int
	stepsSet bool
	at       string
	plot     string
}

func newScheduleCmd() *cobra.Command {
	var opts scheduleOptions
	cmd := &cobra.Command{
		Use:   "schedule SPEC",
		Short: "Print a schedule's values and optionally plot it",
		Long: `Print the value of a schedule spec, such as
"every(100, poly(0, 0.9, 0, 1050))", at chosen steps, and with --plot draw
its value at every step from 0 to --steps. By default the table shows 11
evenly spaced steps from 0 to --steps and every step at which an every(...)
staircase changes (when there are at most 1000). An adaptive multiplier is
shown with m at its initial value, because no signals are measured here.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("schedule: expected one SPEC argument, got %d "+
					"(quote the spec)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stepsSet = cmd.Flags().Changed("steps")
			return runSchedule(cmd.OutOrStdout(), args[0], opts)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("schedule: %w", err)}
	})
	cmd.Flags().IntVar(&opts.steps, "steps", 0, "last step shown and plotted "+
		"(default: the schedule's end plus 10%, or 1000 when it has no end)")
	cmd.Flags().StringVar(&opts.at, "at", "", "comma-separated steps to print, "+
		"such as 0,500,1000 (default: 11 evenly spaced steps)")
	cmd.Flags().StringVar(&opts.plot, "plot", "", "write a plot of the schedule to this "+
		"file, in the format its extension selects (.svg, .png, .pdf, .eps, .jpg, .tif)")
	return cmd
}

// runSchedule checks every input before it computes or writes anything,
// so a usage error leaves no file behind.
func runSchedule(w io.Writer, spec string, opts scheduleOptions) error {
	s, err := schedules.Parse(spec)
	if err != nil {
		return usageError{err}
	}
	last, err := lastStep(s, opts)
	if err != nil {
		return err
	}
	steps, err := tableSteps(s, last, opts.at)
	if err != nil {
		return err
	}
	if opts.plot != "" {
		if err := checkPlotPath(opts.plot, last); err != nil {
			return err
		}
	}

	if _, ok := s.(schedules.Adaptive); ok {
		fmt.Fprintln(w, "# adaptive multiplier: values use m at its initial value")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tvalue\t")
	for _, t := range steps {
		fmt.Fprintf(tw, "%d\t%s\t\n", t, strconv.FormatFloat(s.At(t), 'g', 6, 64))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if opts.plot == "" {
		return nil
	}
	if err := plotSchedule(opts.plot, spec, s, last); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", opts.plot)
	return nil
}

// lastStep returns --steps, or the schedule's end plus 10% when it has a
// span, or defaultScheduleSteps.
func lastStep(s schedules.Schedule, opts scheduleOptions) (int, error) {
	if opts.stepsSet {
		if opts.steps < 1 || opts.steps > maxTableSteps {
			return 0, usageError{fmt.Errorf("schedule: --steps (%d) is outside [1, %d]",
				opts.steps, maxTableSteps)}
		}
		return opts.steps, nil
	}
	if sp, ok := s.(schedules.Spanner); ok {
		if _, end, ok := sp.Span(); ok && end > 0 {
			return end + end/10, nil
		}
	}
	return defaultScheduleSteps, nil
}

// tableSteps returns the steps of --at, or 11 evenly spaced steps in [0,
// last] together with the change points of a top-level every(...).
func tableSteps(s schedules.Schedule, last int, at string) ([]int, error) {
	if at != "" {
		var steps []int
		for _, field := range strings.Split(at, ",") {
			t, err := strconv.Atoi(strings.TrimSpace(field))
			if err != nil || t < 0 {
				return nil, usageError{fmt.Errorf("schedule: --at: step %q is not a "+
					"non-negative whole number", strings.TrimSpace(field))}
			}
			steps = append(steps, t)
		}
		return steps, nil
	}
	steps := make([]int, 0, 11)
	for i := 0; i <= 10; i++ {
		steps = append(steps, int(math.Round(float64(i)*float64(last)/10)))
	}
	if e, ok := s.(schedules.Every); ok && changePointCount(e, last) <= maxChangePoints {
		steps = append(steps, e.ChangePoints(last)...)
	}
	slices.Sort(steps)
	return slices.Compact(steps), nil
}

// changePointCount returns about how many change points e has in [0,
// last], so a staircase with very many is left out of the table.
func changePointCount(e schedules.Every, last int) int {
	start, end, ok := e.Span()
	if !ok || e.N < 1 {
		return 0
	}
	return (min(end, last)-start)/e.N + 2
}

// plotFormats are the file extensions gonum/plot can write.
var plotFormats = []string{".svg", ".png", ".pdf", ".eps", ".jpg", ".jpeg", ".tif", ".tiff"}

func checkPlotPath(path string, last int) error {
	ext := strings.ToLower(filepath.Ext(path))
	if !slices.Contains(plotFormats, ext) {
		return usageError{fmt.Errorf("schedule: --plot %q: extension %q is not one of %s",
			path, ext, strings.Join(plotFormats, ", "))}
	}
	if last > maxPlotSteps {
		return usageError{fmt.Errorf("schedule: --steps (%d) is above %d, the maximum "+
			"number of steps a plot draws", last, maxPlotSteps)}
	}
	// Opening the file now reports an unwritable path before the table is
	// printed. A file created only for this check is removed again.
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return usageError{fmt.Errorf("schedule: --plot %q cannot be written: %w", path, err)}
	}
	f.Close()
	if os.IsNotExist(statErr) {
		os.Remove(path)
	}
	return nil
}

// plotSchedule draws s.At(t) for every t in [0, last] as a line, titled
// with the spec, and saves it to path in the format of its extension.
func plotSchedule(path, title string, s schedules.Schedule, last int) error {
	points := make(plotter.XYs, last+1)
	for t := range points {
		v := s.At(t)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("schedule: value at step %d (%v) is not finite, so it "+
				"cannot be plotted", t, v)
		}
		points[t] = plotter.XY{X: float64(t), Y: v}
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	p.Y.Label.Text = "value"
	p.Add(plotter.NewGrid())
	line, err := plotter.NewLine(points)
	if err != nil {
		return fmt.Errorf("schedule: plot: %w", err)
	}
	line.Width = vg.Points(1.5)
	p.Add(line)
	if err := p.Save(7*vg.Inch, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("schedule: writing plot: %w", err)
	}
	return nil
}
