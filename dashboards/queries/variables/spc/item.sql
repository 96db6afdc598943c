-- Measured parameters, sensor metrics and defect counts charted on the machine.
SELECT DISTINCT item AS "Item" FROM fab.spc_limits WHERE machine_id = '${machine}' ORDER BY "Item"
