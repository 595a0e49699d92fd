package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/regsched/regsched/experiments"
)

func init() { rootCmd.AddCommand(newReportCmd()) }

func newReportCmd() *cobra.Command {
	var (
		out, title string
		png        bool
	)
	cmd := &cobra.Command{
		Use:   "report RUN...",
		Short: "Merge the metrics of runs or sweep shards into a Markdown report with plots",
		Long: `Report reads metrics.jsonl from each run folder, sweep folder (searched
recursively, so every shard's points are merged) or metrics file, and
writes report.md with SVG plots: a summary table (mean ± standard
deviation over seeds), sparsity and accuracy over steps, λ and
multipliers with policy decisions, accuracy against sparsity, per-layer
sparsity, weight-magnitude histograms at phase boundaries, gradient norms,
mask flips, and the phases of each run (simplification, forced pruning,
suppression, unregularized, regrowth; the rules are in the report).`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			recs, err := experiments.LoadRecords(args)
			if err != nil {
				return usageError{err}
			}
			if out == "" {
				out = "report"
				if len(args) == 1 {
					out = filepath.Join(args[0], "report")
				}
			}
			if err := experiments.WriteReport(out, recs,
				experiments.ReportOptions{Title: title, PNG: png}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", filepath.Join(out, experiments.ReportFile))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&out, "out", "", "report folder (default: RUN/report for one RUN, else ./report)")
	fl.StringVar(&title, "title", "", "report title")
	fl.BoolVar(&png, "png", false, "also write every plot as PNG")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}
