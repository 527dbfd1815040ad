"""One assembler per board kind: each lays out rows from generator.grafana.rows."""
