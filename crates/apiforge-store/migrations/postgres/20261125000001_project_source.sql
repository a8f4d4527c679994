-- Editors revise what a project is generated from (`Tenant::set_source`); the row-level
-- policy `projects_update` already limits updates to editors and owners.
GRANT UPDATE (source) ON projects TO apiforge_tenant;
