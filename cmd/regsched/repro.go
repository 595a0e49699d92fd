package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/regsched/regsched/experiments/repro"
)

func init() {
	var opts repro.Options
	var list bool
	cmd := &cobra.Command{
		Use:   "repro NAME",
		Short: "Run a paper-style reproduction and write its report",
		Long: `Run one of the paper-style reproductions on real data and write its
report (README.md with tables, SVG plots, results.jsonl) into --out.
Use --list to see the reproductions and their default data folders.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list {
				return nil
			}
			if len(args) != 1 {
				return usageError{fmt.Errorf("repro: want one reproduction name, got %d "+
					"arguments (see regsched repro --list)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				for _, r := range repro.Reproductions() {
					fmt.Fprintf(cmd.OutOrStdout(), "%-18s %s (data: %s)\n", r.Name, r.Description,
						r.DefaultData)
				}
				return nil
			}
			r, err := repro.Lookup(args[0])
			if err != nil {
				return usageError{err}
			}
			if opts.Data == "" {
				opts.Data = r.DefaultData
			}
			if opts.Out == "" {
				opts.Out = filepath.Join("docs", "reproductions", r.Name)
			}
			if opts.Seeds < 0 {
				return usageError{fmt.Errorf("repro: --seeds (%d) is negative", opts.Seeds)}
			}
			opts.Progress = cmd.ErrOrStderr()
			return r.Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Data, "data", "", "folder of the data files (default: the reproduction's own)")
	cmd.Flags().StringVar(&opts.Out, "out", "", "report folder (default docs/reproductions/NAME)")
	cmd.Flags().IntVar(&opts.Seeds, "seeds", 0, "number of seeds (default: the reproduction's own)")
	cmd.Flags().BoolVar(&list, "list", false, "list the reproductions and exit")
	rootCmd.AddCommand(cmd)
}
