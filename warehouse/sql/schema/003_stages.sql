-- Staging twins of the facts: a day is built here, then attached to the fact whole.
CREATE TABLE IF NOT EXISTS fab.fact_defect__stage AS fab.fact_defect;
CREATE TABLE IF NOT EXISTS fab.fact_inspection__stage AS fab.fact_inspection;
CREATE TABLE IF NOT EXISTS fab.fact_machine_state__stage AS fab.fact_machine_state;
CREATE TABLE IF NOT EXISTS fab.fact_production_hourly__stage AS fab.fact_production_hourly;
CREATE TABLE IF NOT EXISTS fab.fact_sensor_minute__stage AS fab.fact_sensor_minute;
CREATE TABLE IF NOT EXISTS fab.fact_wafer_history__stage AS fab.fact_wafer_history;
-- Dimensions are rebuilt in their twin and swapped in with EXCHANGE TABLES.
CREATE TABLE IF NOT EXISTS fab.dim_date__stage AS fab.dim_date;
CREATE TABLE IF NOT EXISTS fab.dim_defect_type__stage AS fab.dim_defect_type;
CREATE TABLE IF NOT EXISTS fab.dim_lot__stage AS fab.dim_lot;
CREATE TABLE IF NOT EXISTS fab.dim_machine__stage AS fab.dim_machine;
CREATE TABLE IF NOT EXISTS fab.dim_product__stage AS fab.dim_product;
CREATE TABLE IF NOT EXISTS fab.dim_recipe__stage AS fab.dim_recipe;
CREATE TABLE IF NOT EXISTS fab.dim_shift__stage AS fab.dim_shift;
CREATE TABLE IF NOT EXISTS fab.dim_state_reason__stage AS fab.dim_state_reason;
CREATE TABLE IF NOT EXISTS fab.dim_wafer__stage AS fab.dim_wafer;
