"""VN_AQI, VN_WQI, aggregates and QCVN compliance as pure functions over concentrations."""
