package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"github.com/spf13/cobra"

	"github.com/regsched/regsched/experiments"
)

func init() { rootCmd.AddCommand(newReportCmd()) }

func newReportCmd() *cobra.Command {
	var (
		out, title, markdown string
		png                  bool
	)
	cmd := &cobra.Command{
		Use:   "report RUN...",
		Short: "Merge the metrics of runs or sweep shards into a Markdown report with plots",
		Long: `Report reads metrics.jsonl from each run folder, sweep folder (searched
recursively, so every shard's points are merged) or metrics file, and
writes report.md (or the --markdown name) with SVG plots: a summary
table (mean ± standard deviation over seeds), sparsity and accuracy over
steps, λ and multipliers with policy decisions, accuracy against
sparsity, gradient norms, mask flips per update, and for each run group
its phases (simplification, forced pruning, suppression, unregularized,
regrowth; the rules are in the report) shaded over sparsity, accuracy,
loss and λ, per-layer sparsity, weight-magnitude histograms at phase
boundaries and per-layer gradient norms.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if markdown == "" || filepath.Base(markdown) != markdown {
				return usageError{errors.Errorf("--markdown %q must be a file name without a folder",
					markdown)}
			}
			if out != "" {
				if info, err := os.Stat(out); err == nil && !info.IsDir() {
					return usageError{errors.Errorf("--out %s exists and is not a folder", out)}
				}
				if err := checkOutFolder(out); err != nil {
					return usageError{err}
				}
			}
			recs, err := experiments.LoadRecords(args)
			if err != nil {
				return usageError{err}
			}
			if out == "" {
				out = "report"
				if len(args) == 1 {
					out = filepath.Join(args[0], "report")
					if info, err := os.Stat(args[0]); err == nil && !info.IsDir() {
						out = filepath.Join(filepath.Dir(args[0]), "report")
					}
				}
			}
			if err := experiments.WriteReport(out, recs,
				experiments.ReportOptions{Title: title, PNG: png, Markdown: markdown}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", filepath.Join(out, markdown))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&out, "out", "", "report folder (default: RUN/report for one RUN folder, the file's folder/report for one metrics file, else ./report)")
	fl.StringVar(&title, "title", "", "report title")
	fl.BoolVar(&png, "png", false, "also write every plot as PNG")
	fl.StringVar(&markdown, "markdown", experiments.ReportFile,
		"name of the Markdown file in the report folder, for example README.md")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}
