"""The centre's figures: dashboards, the solvability study and the speed-radar pilot, on pyqtgraph."""
