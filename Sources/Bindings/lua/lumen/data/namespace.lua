-- lumen.data.namespace: the one `data` table that every lumen.data.* file fills in.
return {}
