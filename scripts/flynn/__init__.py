"""flynn: run, merge, summarise and plot the flynn microbenchmarks."""
