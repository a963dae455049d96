"""Health: training rhythm and body composition (section), weight and workout trends (trends)."""
