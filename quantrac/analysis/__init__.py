"""Analysis of monitoring data: statistics per period, exceedance frequency, trend tests
(Mann-Kendall, Sen, seasonal Kendall), anomaly detection and 24-hour PM2.5 forecasts, each
scored honestly against simple baselines. Pure modules; `stored` is the only one reading the
store."""
